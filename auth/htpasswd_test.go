package auth

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/testclock"
)

// htSHA returns the {SHA} hash of pw, the cheapest format to test reloads.
func htSHA(pw string) string {
	d := sha1.Sum([]byte(pw))
	return "{SHA}" + base64.StdEncoding.EncodeToString(d[:])
}

// htReplace replaces path with content through a temporary file and a
// rename, as editors and htpasswd do.
func htReplace(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// htTempFile writes content to a new file in a test directory.
func htTempFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// htLogBuffer collects log output; safe for concurrent use.
type htLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *htLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *htLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func htLogger() (*slog.Logger, *htLogBuffer) {
	buf := new(htLogBuffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// htVerifies reports whether user exists in f and pw is their password.
func htVerifies(f *htpasswdFile, user, pw string) bool {
	p, ok := f.lookup(user)
	return ok && p.verify([]byte(pw))
}

func TestHtpasswdVectorFiles(t *testing.T) {
	for _, name := range hashVectorFiles {
		t.Run(name, func(t *testing.T) {
			f, err := openHtpasswd(filepath.Join("testdata", "htpasswd", name), 0, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			dearest := 0
			for _, v := range readHashVectors(t, name) {
				if !htVerifies(f, v.user, hashVectorPasswords[v.user]) {
					t.Errorf("%s: right password rejected", v.user)
				}
				if htVerifies(f, v.user, hashWrongPassword(hashVectorPasswords[v.user])) {
					t.Errorf("%s: wrong password accepted", v.user)
				}
				p, _ := f.lookup(v.user)
				dearest = max(dearest, p.work())
			}
			if _, ok := f.lookup("mallory"); ok {
				t.Error("unknown user found")
			}
			if got := f.dummy().work(); got != dearest {
				t.Errorf("dummy work %d, dearest entry %d", got, dearest)
			}
			if f.generation() != 1 {
				t.Errorf("generation %d, want 1", f.generation())
			}
		})
	}
}

func TestHtpasswdDummyIsDearest(t *testing.T) {
	bc := readHashVectors(t, "bcrypt.htpasswd")[0].hash // cost 5
	ar := readHashVectors(t, "argon2id.htpasswd")[0].hash
	ap := readHashVectors(t, "apr1.htpasswd")[0].hash
	path := htTempFile(t, "a:"+htSHA("a")+"\nb:"+ap+"\nc:"+bc+"\nd:"+ar+"\n")
	f, err := openHtpasswd(path, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := max(mustParseHash(t, bc).work(), mustParseHash(t, ar).work())
	if d := f.dummy(); d.work() != want || !d.expensive() {
		t.Errorf("dummy work %d expensive %v, want %d", d.work(), d.expensive(), want)
	}
	for _, pw := range []string{"a", hashVectorPasswords["alice"], ""} {
		if f.dummy().verify([]byte(pw)) {
			t.Errorf("dummy verifies %q", pw)
		}
	}
}

func TestHtpasswdEmptyFile(t *testing.T) {
	log, buf := htLogger()
	f, err := openHtpasswd(htTempFile(t, "# nobody yet\n\n"), 0, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.dummy().(plainPassword); !ok {
		t.Errorf("dummy of an empty file is %T, want plainPassword", f.dummy())
	}
	if !strings.Contains(buf.String(), "no users") {
		t.Errorf("no warning about an empty file: %q", buf)
	}
}

func TestHtpasswdParsing(t *testing.T) {
	content := "# comment\r\n" +
		"\n" +
		"   \t\n" +
		"alice:" + htSHA("old") + "\r\n" +
		"  # indented comment\n" +
		"bob:" + htSHA("b:o:b") + "   \n" +
		"  carol:" + htSHA("c") + "\n" +
		"alice:" + htSHA("new") + "\n" +
		"ünï:" + htSHA("ü") // no final newline
	log, buf := htLogger()
	f, err := openHtpasswd(htTempFile(t, content), 0, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, pw string
		want     bool
	}{
		{"alice", "new", true}, {"alice", "old", false}, // later line wins
		{"bob", "b:o:b", true}, {"carol", "c", true}, {"ünï", "ü", true},
		{"# comment", "", false}, {"", "", false},
	} {
		if got := htVerifies(f, c.user, c.pw); got != c.want {
			t.Errorf("%q/%q: %v, want %v", c.user, c.pw, got, c.want)
		}
	}
	if l := buf.String(); !strings.Contains(l, "twice") || !strings.Contains(l, "line=8") || !strings.Contains(l, "earlier_line=4") {
		t.Errorf("duplicate not reported with both lines: %q", l)
	}
}

func TestHtpasswdOpenErrors(t *testing.T) {
	good := "alice:" + htSHA("a") + "\n"
	type openCase struct {
		name, content, line string
		hash                string // must not show in the error
		malformedHash       bool
	}
	bad := "$2y$05$SecretSaltSecretSaltSeSecretHashSecretHashSecretHash1Secret" // too long
	cases := []openCase{
		{"no colon", good + "bob\n", "line 2", "", false},
		{"empty user", good + good + ":" + htSHA("x") + "\n", "line 3", htSHA("x"), false},
		{"control char", "al\x01ice:" + htSHA("x") + "\n", "line 1", htSHA("x"), false},
		{"bad hash", "# c\n\n" + good + "bob:" + bad + "\n", "line 4", bad, true},
		{"plaintext", "bob:hunter2secret\n", "line 1", "hunter2secret", true},
		{"hash with comment", "bob:" + htSHA("x") + ":comment\n", "line 1", htSHA("x"), true},
		{"empty hash", "bob:\n", "line 1", "", true},
		{"line too long", good + "bob:" + strings.Repeat("x", maxConfigLine) + "\n", "line 2", "xxxxxxxx", false},
	}
	for _, v := range readHashVectors(t, "unsupported.htpasswd") {
		cases = append(cases, openCase{"unsupported " + v.user, good + v.user + ":" + v.hash + "\n", "line 2", v.hash, true})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := htTempFile(t, c.content)
			_, err := openHtpasswd(path, 0, nil, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, c.line+":") {
				t.Errorf("error %q does not name %s and %s", msg, path, c.line)
			}
			if errors.Is(err, ErrMalformedHash) != c.malformedHash {
				t.Errorf("errors.Is(err, ErrMalformedHash) = %v", !c.malformedHash)
			}
			if c.hash != "" && hashLeaks(msg, c.hash) {
				t.Errorf("error %q shows the hash", msg)
			}
		})
	}
	if _, err := openHtpasswd(filepath.Join(t.TempDir(), "missing"), 0, nil, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestHtpasswdReload(t *testing.T) {
	log, buf := htLogger()
	path := htTempFile(t, "alice:"+htSHA("one")+"\n")
	f, err := openHtpasswd(path, 0, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if !htVerifies(f, "alice", "one") {
		t.Fatal("initial password rejected")
	}

	htReplace(t, path, "alice:"+htSHA("two")+"\nbob:"+htSHA("bob")+"\n")
	if !htVerifies(f, "alice", "two") || htVerifies(f, "alice", "one") || !htVerifies(f, "bob", "bob") {
		t.Fatal("renamed file not reloaded")
	}
	if f.generation() != 2 {
		t.Errorf("generation %d after one reload, want 2", f.generation())
	}

	// A broken file keeps the previous table, is logged once, without the hash.
	broken := "alice:" + htSHA("three") + "\nbob:$2y$05$NotAHashNotAHashNotAHash\n"
	htReplace(t, path, broken)
	for range 3 {
		if !htVerifies(f, "alice", "two") {
			t.Fatal("broken file replaced the table")
		}
	}
	l := buf.String()
	if strings.Count(l, "level=ERROR") != 1 || !strings.Contains(l, path) || !strings.Contains(l, "line 2") {
		t.Errorf("broken file not logged once with path and line: %q", l)
	}
	if strings.Contains(l, "NotAHash") || strings.Contains(l, htSHA("three")) {
		t.Errorf("log shows hash material: %q", l)
	}
	if f.generation() != 2 {
		t.Errorf("generation moved to %d on a failed reload", f.generation())
	}

	// Fixed in place (same inode, different size): reloaded.
	if err := os.WriteFile(path, []byte("alice:"+htSHA("four")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !htVerifies(f, "alice", "four") || htVerifies(f, "bob", "bob") {
		t.Fatal("file rewritten in place not reloaded")
	}

	// A vanished file keeps the table and is logged once; its return is seen.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if !htVerifies(f, "alice", "four") {
			t.Fatal("vanished file dropped the table")
		}
	}
	if n := strings.Count(buf.String(), "cannot stat"); n != 1 {
		t.Errorf("vanished file logged %d times, want 1: %q", n, buf)
	}
	htReplace(t, path, "alice:"+htSHA("five")+"\n")
	if !htVerifies(f, "alice", "five") {
		t.Fatal("recreated file not reloaded")
	}
}

func TestHtpasswdRecheckInterval(t *testing.T) {
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	path := htTempFile(t, "alice:"+htSHA("one")+"\n")
	f, err := openHtpasswd(path, time.Hour, clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	htReplace(t, path, "alice:"+htSHA("two")+"\n")
	for _, step := range []time.Duration{0, time.Minute, 58 * time.Minute} {
		clock.Advance(step)
		if !htVerifies(f, "alice", "one") {
			t.Fatalf("reloaded before the interval passed (at +%v)", step)
		}
	}
	clock.Advance(time.Minute) // one hour after open
	if !htVerifies(f, "alice", "two") {
		t.Fatal("not reloaded once the interval passed")
	}
	// The next check is an hour after that one.
	htReplace(t, path, "alice:"+htSHA("three")+"\n")
	clock.Advance(30 * time.Minute)
	if !htVerifies(f, "alice", "two") {
		t.Fatal("reloaded before the next interval")
	}
	// A clock that jumps back does not put checks off.
	clock.Advance(-24 * time.Hour)
	if !htVerifies(f, "alice", "three") {
		t.Fatal("not reloaded after the clock went back")
	}
}

func TestHtpasswdConcurrentLookupsDuringReloads(t *testing.T) {
	versions := []string{
		"alice:" + htSHA("A") + "\nbob:" + htSHA("bob") + "\n",
		"alice:" + htSHA("BB") + "\nbob:" + htSHA("bob") + "\ncarol:" + htSHA("c") + "\n",
		"alice:" + htSHA("C") + "\nbob:not a hash\n", // broken: keeps the previous table
	}
	path := htTempFile(t, versions[0])
	f, err := openHtpasswd(path, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var lookups atomic.Int64
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				lookups.Add(1)
				p, ok := f.lookup("alice")
				if !ok || !(p.verify([]byte("A")) || p.verify([]byte("BB"))) {
					errs <- fmt.Errorf("alice: found %v, neither version verifies", ok)
					return
				}
				if !htVerifies(f, "bob", "bob") {
					errs <- errors.New("bob lost")
					return
				}
				_ = f.dummy().work()
				_ = f.generation()
			}
		}()
	}
	for i := range 200 {
		htReplace(t, path, versions[i%len(versions)])
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if lookups.Load() == 0 {
		t.Error("no lookups ran")
	}
}
