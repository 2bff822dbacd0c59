package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"github.com/authwire/authwire/auth"
)

// benchSession is a realistic session: a 32-byte random ID, user "admin"
// in two groups, logged in with a form.
func benchSession() *auth.Session {
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	now := time.Now().Unix()
	return &auth.Session{
		ID:        base64.RawURLEncoding.EncodeToString(id),
		User:      "admin",
		Groups:    []string{"admin", "ops"},
		Provider:  "form",
		IssuedAt:  now,
		LastSeen:  now,
		ExpiresAt: now + 12*3600,
	}
}

// BenchmarkSessionCookie compares this package's cookie store with
// gorilla/sessions' own CookieStore (gob) under the same key pair
// (HMAC-SHA256 + AES-256) and the same session content.
//
// gorilla_gob_get goes through store.Get, as a gorilla/sessions handler
// does. Get caches the decoded session in a registry that it attaches to
// the request (it replaces *r in place), so a reused request would decode
// only once; each iteration therefore passes a shallow copy of a request
// that has no registry yet. That copy (one heap allocation, since Get
// keeps the pointer) and the Cookie header parsing are part of gorilla's
// real per-request cost and are not subtracted. gorilla_gob_new calls
// store.New, which decodes every time without the registry, for the
// codec-only comparison.
func BenchmarkSessionCookie(b *testing.B) {
	ctx := context.Background()
	hashKey, blockKey := auth.GenerateKeyPair()
	store, err := auth.NewCookieStore(12*time.Hour, hashKey, blockKey)
	if err != nil {
		b.Fatal(err)
	}
	s := benchSession()
	cookie, err := store.Save(ctx, s)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("authwire_json_load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := store.Load(ctx, cookie)
			if err != nil || got.User != "admin" {
				b.Fatalf("Load = %v, %v", got, err)
			}
		}
		b.ReportMetric(float64(len(cookie)), "cookie-bytes")
	})

	b.Run("authwire_json_save", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := store.Save(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	})

	const name = "session"
	gstore := sessions.NewCookieStore(hashKey, blockKey)
	gstore.MaxAge(12 * 3600)
	greq := httptest.NewRequest(http.MethodGet, "/", nil)
	gs, err := gstore.New(greq, name)
	if err != nil {
		b.Fatal(err)
	}
	gs.Values["id"] = s.ID
	gs.Values["user"] = s.User
	gs.Values["groups"] = s.Groups
	gs.Values["provider"] = s.Provider
	gs.Values["issued_at"] = s.IssuedAt
	gs.Values["last_seen"] = s.LastSeen
	gs.Values["expires_at"] = s.ExpiresAt
	rec := httptest.NewRecorder()
	if err := gstore.Save(greq, rec, gs); err != nil {
		b.Fatal(err)
	}
	var gcookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			gcookie = c
		}
	}
	if gcookie == nil {
		b.Fatal("gorilla/sessions set no cookie")
	}
	base := httptest.NewRequest(http.MethodGet, "/", nil)
	base.AddCookie(gcookie)

	b.Run("gorilla_gob_get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := new(http.Request)
			*r = *base
			got, err := gstore.Get(r, name)
			if err != nil || got.IsNew || got.Values["user"] != "admin" {
				b.Fatalf("Get = %v, %v", got, err)
			}
		}
		b.ReportMetric(float64(len(gcookie.Value)), "cookie-bytes")
	})

	b.Run("gorilla_gob_new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := gstore.New(base, name)
			if err != nil || got.IsNew || got.Values["user"] != "admin" {
				b.Fatalf("New = %v, %v", got, err)
			}
		}
	})
}
