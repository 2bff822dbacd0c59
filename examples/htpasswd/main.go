// Command htpasswd prints an htpasswd line for a user, for use with
// auth.WithHtpasswdFile (or Apache and nginx). The password is read from
// the first line of standard input so that it stays out of shell history:
//
//	echo 's3cret' | go run ./examples/htpasswd alice >> .htpasswd
//	go run ./examples/htpasswd -argon2id alice      # then type the password
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/authwire/authwire/auth"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "htpasswd:", err)
		os.Exit(2)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("htpasswd", flag.ContinueOnError)
	argon := fs.Bool("argon2id", false, "hash with argon2id instead of bcrypt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: htpasswd [-argon2id] USER  (password on stdin)")
	}
	user := fs.Arg(0)
	if user == "" || strings.ContainsAny(user, ":\r\n") {
		return errors.New("the user name must be non-empty and hold no colon or newline")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	password := strings.TrimRight(line, "\r\n")
	hash := auth.HashPassword
	if *argon {
		hash = auth.HashPasswordArgon2id
	}
	h, err := hash(password)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s:%s\n", user, h)
	return err
}
