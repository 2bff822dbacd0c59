package auth

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestUserSourceUnknownUserCostsAHash checks that a table from a
// UserSource keeps the promise of the static ones: an unknown user is
// checked against a dummy of the table's dearest format, so the answer
// costs one hash, as a wrong password does; and a table that has not
// arrived yet refuses everyone.
func TestUserSourceUnknownUserCostsAHash(t *testing.T) {
	table, err := NewUsers(map[string]string{
		"alice": bcryptHash(t, "s3cret", bcrypt.MinCost),
		"bob":   "plain",
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := newSourcedCredentials(table, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := newVerifiedCache(time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(src, cache, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if ok, _ := v.verify(ctx, []byte("alice"), []byte("s3cret")); ok {
		t.Fatal("a password was accepted before the source was asked")
	}
	v.refresh(ctx)
	if gen := src.generation(); gen != 2 {
		t.Fatalf("generation after the first table = %d, want 2", gen)
	}
	runs := v.hashRuns.Load()
	if ok, _ := v.verify(ctx, []byte("alice"), []byte("wrong")); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, _ := v.verify(ctx, []byte("mallory"), []byte("wrong")); ok {
		t.Fatal("unknown user accepted")
	}
	if got := v.hashRuns.Load() - runs; got != 2 {
		t.Fatalf("a wrong password and an unknown user ran %d hashes, want one each", got)
	}
	if ok, _ := v.verify(ctx, []byte("alice"), []byte("s3cret")); !ok {
		t.Fatal("right password refused")
	}
	v.refresh(ctx) // the same table again: nothing changes
	if gen := src.generation(); gen != 2 {
		t.Fatalf("generation after the same table = %d, want 2", gen)
	}
}
