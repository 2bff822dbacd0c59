package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authwire/authwire/internal/testclock"
)

func TestHtgroupParsing(t *testing.T) {
	content := "# Apache group file\r\n" +
		"\n" +
		"admins: alice bob\r\n" +
		"ops:alice\tcarol  alice\n" + // tab, double space, repeated member
		"  viewers : bob dave ünï \n" +
		"admins: erin\n" + // a group over two lines adds up
		"empty:\n" +
		"my group: frank" // Apache allows a space in the name; no final newline
	f, err := openHtgroup(htTempFile(t, content), 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string][]string{
		"alice":   {"admins", "ops"},
		"bob":     {"admins", "viewers"},
		"carol":   {"ops"},
		"dave":    {"viewers"},
		"erin":    {"admins"},
		"frank":   {"my group"},
		"ünï":     {"viewers"},
		"mallory": nil,
		"":        nil,
	} {
		if got := f.groups(user); !slices.Equal(got, want) {
			t.Errorf("groups(%q) = %q, want %q", user, got, want)
		}
	}
	// The slice is clipped: an append by a caller allocates anew.
	g := f.groups("alice")
	_ = append(g, "injected")
	if got := f.groups("alice"); !slices.Equal(got, []string{"admins", "ops"}) {
		t.Errorf("append by a caller changed the table: %q", got)
	}
}

func TestHtgroupOpenErrors(t *testing.T) {
	for _, c := range []struct{ name, content, line string }{
		{"no colon", "admins: alice\nops alice\n", "line 2"},
		{"empty group", "\n\n: alice\n", "line 3"},
		{"control char", "ad\x01mins: alice\n", "line 1"},
		{"line too long", "a: " + strings.Repeat("u ", maxConfigLine/2+1) + "\n", "line 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := htTempFile(t, c.content)
			_, err := openHtgroup(path, 0, nil, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, c.line+":") || !strings.Contains(msg, "htgroup") {
				t.Errorf("error %q does not name the htgroup file %s and %s", msg, path, c.line)
			}
		})
	}
	if _, err := openHtgroup(filepath.Join(t.TempDir(), "missing"), 0, nil, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestHtgroupReload(t *testing.T) {
	log, buf := htLogger()
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	path := htTempFile(t, "admins: alice\n")
	f, err := openHtgroup(path, time.Minute, clock.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	htReplace(t, path, "admins: bob\nops: alice\n")
	if got := f.groups("alice"); !slices.Equal(got, []string{"admins"}) {
		t.Fatalf("reloaded before the interval: %q", got)
	}
	clock.Advance(time.Minute)
	if got := f.groups("alice"); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("not reloaded after the interval: %q", got)
	}

	htReplace(t, path, "admins: alice\nbroken line\n")
	clock.Advance(time.Minute)
	if got := f.groups("alice"); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("broken file replaced the table: %q", got)
	}
	if l := buf.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "line 2") || !strings.Contains(l, path) {
		t.Errorf("broken file not logged with path and line: %q", l)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if got := f.groups("bob"); !slices.Equal(got, []string{"admins"}) {
		t.Fatalf("vanished file dropped the table: %q", got)
	}
	htReplace(t, path, "ops: bob\n")
	clock.Advance(time.Minute)
	if got := f.groups("bob"); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("recreated file not reloaded: %q", got)
	}
}

func TestHtgroupConcurrentLookupsDuringReloads(t *testing.T) {
	versions := []string{
		"admins: alice\nusers: alice bob\n",
		"ops: alice\nusers: bob alice\n",
		"users alice\n", // broken: keeps the previous table
	}
	path := htTempFile(t, versions[0])
	f, err := openHtgroup(path, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				g := f.groups("alice")
				if !slices.Equal(g, []string{"admins", "users"}) && !slices.Equal(g, []string{"ops", "users"}) {
					errs <- fmt.Errorf("alice in %q", g)
					return
				}
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
}
