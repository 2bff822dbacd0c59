package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/testclock"
)

// TestSessionsConcurrent runs, at once: sessions that are each saved,
// loaded, saved again, deleted; readers of one shared session while it
// is refreshed; and several first saves of one new session. Run with
// -race. Every Save of a session gives the same cookie, and every Load
// finds what was saved or, after a Delete, nothing.
func TestSessionsConcurrent(t *testing.T) {
	clock := testclock.New(start)
	st := openAt(t, filepath.Join(t.TempDir(), "authwire.db"), clock)
	ss := st.Sessions(SessionsConfig{})
	ctx := context.Background()
	shared := newSession(1, "shared", start, time.Hour)
	sharedCookie := save(t, ss, shared)
	twin := newSession(2, "twin", start, time.Hour)

	const workers = 8
	errs := make(chan error, 4*workers)
	twins := make(chan string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { // a session of its own, from save to delete
			sess := newSession(byte(10+w), "own", start, time.Hour)
			c, err := ss.Save(ctx, sess)
			if err != nil {
				errs <- err
				return
			}
			for range 5 {
				if got, err := ss.Load(ctx, c); err != nil || got.ID != sess.ID {
					errs <- errors.Join(errors.New("own session"), err)
					return
				}
				if again, err := ss.Save(ctx, sess); err != nil || again != c {
					errs <- errors.Join(errors.New("own session saved again: another cookie"), err)
					return
				}
			}
			if err := ss.Delete(ctx, sess); err != nil {
				errs <- err
				return
			}
			if _, err := ss.Load(ctx, c); !errors.Is(err, auth.ErrNoSession) {
				errs <- errors.Join(errors.New("own session after Delete"), err)
			}
		})
		wg.Go(func() { // a reader of the shared session
			for range 20 {
				if got, err := ss.Load(ctx, sharedCookie); err != nil || got.User != "shared" {
					errs <- errors.Join(errors.New("shared session"), err)
					return
				}
			}
		})
		wg.Go(func() { // a refresher of the shared session
			refreshed := *shared
			refreshed.LastSeen = start.Add(time.Duration(w) * time.Second).Unix()
			if c, err := ss.Save(ctx, &refreshed); err != nil || c != sharedCookie {
				errs <- errors.Join(errors.New("shared session refreshed: another cookie"), err)
			}
		})
		wg.Go(func() { // one of several first saves of the same session
			c, err := ss.Save(ctx, twin)
			if err != nil {
				errs <- err
				return
			}
			twins <- c
		})
	}
	wg.Wait()
	close(errs)
	close(twins)
	for err := range errs {
		t.Error(err)
	}
	first := <-twins
	for c := range twins {
		if c != first {
			t.Fatalf("concurrent saves of one session gave cookies %q and %q", first, c)
		}
	}
	mustLoad(t, ss, first, twin)
	if n := entries(t, st); n != [3]int{2, 2, 2} {
		t.Fatalf("entries left: %v, want the shared session's and the twin's", n)
	}
}
