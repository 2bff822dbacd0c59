package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// testKeyPair returns a distinct, deterministic (hash, block) pair.
func testKeyPair(seed byte) (hashKey, blockKey []byte) {
	hashKey, blockKey = make([]byte, 32), make([]byte, 32)
	for i := range hashKey {
		hashKey[i] = seed + byte(i)
		blockKey[i] = seed + byte(3*i+1)
	}
	return hashKey, blockKey
}

func newTestCookieStore(t testing.TB, maxAge time.Duration, keys ...[]byte) *CookieStore {
	t.Helper()
	c, err := NewCookieStore(maxAge, keys...)
	if err != nil {
		t.Fatalf("NewCookieStore: %v", err)
	}
	return c
}

func testSession() *Session {
	now := time.Now().Unix()
	return &Session{
		ID:        "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5",
		User:      "admin",
		Groups:    []string{"admin", "ops"},
		Sections:  []string{"hr", "marketing"},
		Provider:  "form",
		IssuedAt:  now,
		LastSeen:  now,
		ExpiresAt: now + 12*3600,
	}
}

// wantNoSession checks that err wraps ErrNoSession and does not quote the
// cookie.
func wantNoSession(t *testing.T, s *Session, err error, cookie string) {
	t.Helper()
	if !errors.Is(err, ErrNoSession) {
		t.Fatalf("err = %v, want ErrNoSession", err)
	}
	if s != nil {
		t.Fatalf("session = %+v with an error", s)
	}
	if len(cookie) >= 8 && strings.Contains(err.Error(), cookie[:8]) {
		t.Fatalf("error %q quotes the cookie", err)
	}
}

func TestCookieStoreRoundTrip(t *testing.T) {
	h, b := testKeyPair(1)
	c := newTestCookieStore(t, time.Hour, h, b)
	ctx := context.Background()
	want := testSession()
	v, err := c.Save(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) > MaxSessionCookieBytes || strings.ContainsAny(v, " ;,\"\\") {
		t.Fatalf("cookie value %q is not a safe cookie value", v)
	}
	if strings.Contains(v, "admin") {
		t.Fatal("cookie shows the user name: not encrypted")
	}
	got, err := c.Load(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Load = %+v, want %+v", got, want)
	}
	if err := c.Delete(ctx, got); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := c.Load(ctx, v); err != nil {
		t.Fatalf("Delete is a no-op, but Load after it failed: %v", err)
	}
	var zero CookieStore
	if _, err := zero.Save(ctx, want); err == nil {
		t.Fatal("zero CookieStore saved a session")
	}
	if s, err := zero.Load(ctx, v); !errors.Is(err, ErrNoSession) || s != nil {
		t.Fatalf("zero CookieStore Load = %v, %v", s, err)
	}
	// Each Save uses a fresh IV.
	v2, _ := c.Save(ctx, want)
	if v2 == v {
		t.Fatal("two saves made the same cookie")
	}
}

func TestCookieStoreSaveRefuses(t *testing.T) {
	h, b := testKeyPair(1)
	c := newTestCookieStore(t, time.Hour, h, b)
	big := testSession()
	for i := range 400 {
		big.Groups = append(big.Groups, "group-"+strconv.Itoa(i))
	}
	for name, s := range map[string]*Session{
		"nil":     nil,
		"no ID":   {User: "admin"},
		"no user": {ID: "x"},
		"too big": big,
	} {
		if v, err := c.Save(context.Background(), s); err == nil {
			t.Errorf("%s: Save = %q, want an error", name, v)
		}
	}
}

func TestCookieStoreLoadRejects(t *testing.T) {
	h1, b1 := testKeyPair(1)
	h2, b2 := testKeyPair(2)
	c := newTestCookieStore(t, time.Hour, h1, b1)
	other := newTestCookieStore(t, time.Hour, h2, b2)
	ctx := context.Background()
	good, err := c.Save(ctx, testSession())
	if err != nil {
		t.Fatal(err)
	}
	fromOther, _ := other.Save(ctx, testSession())

	flip := []byte(good)
	mid := len(flip) / 2
	if flip[mid] == 'A' {
		flip[mid] = 'B'
	} else {
		flip[mid] = 'A'
	}

	cases := map[string]string{
		"empty":          "",
		"tampered":       string(flip),
		"truncated":      good[:len(good)/2],
		"one byte short": good[:len(good)-1],
		"oversized":      strings.Repeat("A", 10<<10),
		"just over":      good + strings.Repeat("A", MaxSessionCookieBytes+1-len(good)),
		"garbage base64": "!!!not*base64~~" + good,
		"other key":      fromOther,
		"gorilla gob":    gorillaCookie(t, cookieMACName, h1, b1),
		"gorilla name":   gorillaCookie(t, "session", h1, b1),
		"no separators":  base64.URLEncoding.EncodeToString([]byte("hello")),
		"json null":      rawCookie(t, h1, b1, "null"),
		"json array":     rawCookie(t, h1, b1, `["i","u"]`),
		"json bad type":  rawCookie(t, h1, b1, `{"i":5,"u":"admin"}`),
		"json no ID":     rawCookie(t, h1, b1, `{"u":"admin"}`),
		"json no user":   rawCookie(t, h1, b1, `{"i":"abc"}`),
		"json truncated": rawCookie(t, h1, b1, `{"i":"abc","u":"ad`),
		"empty payload":  rawCookie(t, h1, b1, ""),
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := c.Load(ctx, v)
			wantNoSession(t, s, err, v)
		})
	}
}

// gorillaCookie returns the value gorilla/sessions' own CookieStore writes
// for a session named name under the same keys (gob-encoded values).
func gorillaCookie(t *testing.T, name string, hashKey, blockKey []byte) string {
	t.Helper()
	store := sessions.NewCookieStore(hashKey, blockKey)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	s, err := store.New(req, name)
	if err != nil {
		t.Fatal(err)
	}
	s.Values["i"] = "abc"
	s.Values["u"] = "admin"
	rec := httptest.NewRecorder()
	if err := store.Save(req, rec, s); err != nil {
		t.Fatal(err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name {
			return ck.Value
		}
	}
	t.Fatal("gorilla/sessions set no cookie")
	return ""
}

// rawCookie signs and encrypts payload as this store would, bypassing
// its serializer, to reach Load's checks after the MAC.
func rawCookie(t *testing.T, hashKey, blockKey []byte, payload string) string {
	t.Helper()
	sc := securecookie.New(hashKey, blockKey).SetSerializer(securecookie.NopEncoder{})
	v, err := sc.Encode(cookieMACName, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCookieStoreKeyRotation(t *testing.T) {
	h1, b1 := testKeyPair(1)
	h2, b2 := testKeyPair(2)
	oldStore := newTestCookieStore(t, time.Hour, h1, b1)
	rotated := newTestCookieStore(t, time.Hour, h2, b2, h1, b1)
	ctx := context.Background()
	want := testSession()

	old, err := oldStore.Save(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Load(ctx, old); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("rotated store reading an old-key cookie: %+v, %v", got, err)
	}
	fresh, err := rotated.Save(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Load(ctx, fresh); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("rotated store reading its own cookie: %+v, %v", got, err)
	}
	s, err := oldStore.Load(ctx, fresh)
	wantNoSession(t, s, err, fresh)
}

// resign replaces the signed timestamp of a cookie made under hashKey and
// signs it again, as securecookie would have at that time. securecookie
// has no clock hook, so this is how maxAge is tested without sleeping.
func resign(t *testing.T, cookie string, hashKey []byte, ts int64) string {
	t.Helper()
	raw, err := base64.URLEncoding.DecodeString(cookie)
	if err != nil {
		t.Fatal(err)
	}
	parts := bytes.SplitN(raw, []byte("|"), 3)
	if len(parts) != 3 {
		t.Fatalf("unexpected securecookie layout: %d parts", len(parts))
	}
	signed := []byte(strconv.FormatInt(ts, 10) + "|" + string(parts[1]))
	mac := hmac.New(sha256.New, hashKey)
	mac.Write([]byte(cookieMACName + "|"))
	mac.Write(signed)
	out := append(append(signed, '|'), mac.Sum(nil)...)
	return base64.URLEncoding.EncodeToString(out)
}

func TestCookieStoreMaxAge(t *testing.T) {
	h, b := testKeyPair(1)
	c := newTestCookieStore(t, time.Hour, h, b)
	ctx := context.Background()
	v, err := c.Save(ctx, testSession())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	// The re-signing itself is sound: a recent timestamp still loads.
	if _, err := c.Load(ctx, resign(t, v, h, now-60)); err != nil {
		t.Fatalf("re-signed fresh cookie: %v", err)
	}
	old := resign(t, v, h, now-3600-5)
	s, err := c.Load(ctx, old)
	wantNoSession(t, s, err, old)
	if !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err = %v, want the expiry named", err)
	}
}

func TestNewCookieStoreConfigErrors(t *testing.T) {
	h, b := testKeyPair(1)
	h2, b2 := testKeyPair(2)
	zero32 := make([]byte, 32)
	cases := []struct {
		name   string
		maxAge time.Duration
		keys   [][]byte
	}{
		{"no keys", time.Hour, nil},
		{"odd number", time.Hour, [][]byte{h}},
		{"odd number after a pair", time.Hour, [][]byte{h, b, h2}},
		{"nil block key", time.Hour, [][]byte{h, nil}},
		{"short hash key", time.Hour, [][]byte{h[:16], b}},
		{"48-byte hash key", time.Hour, [][]byte{append(bytes.Clone(h), b[:16]...), b}},
		{"bad block key length", time.Hour, [][]byte{h, b[:20]}},
		{"all-zero hash key", time.Hour, [][]byte{zero32, b}},
		{"all-zero block key", time.Hour, [][]byte{h, zero32}},
		{"one byte repeated", time.Hour, [][]byte{bytes.Repeat([]byte("a"), 32), b}},
		{"hash key == block key", time.Hour, [][]byte{h, h}},
		{"repeated pair", time.Hour, [][]byte{h, b, h, b}},
		{"key reused across pairs", time.Hour, [][]byte{h, b, h2, b}},
		{"zero maxAge", 0, [][]byte{h, b}},
		{"negative maxAge", -time.Hour, [][]byte{h, b}},
		{"sub-second maxAge", 500 * time.Millisecond, [][]byte{h, b}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCookieStore(tc.maxAge, tc.keys...)
			if !errors.Is(err, ErrInvalidConfig) || c != nil {
				t.Fatalf("NewCookieStore = %v, %v; want ErrInvalidConfig", c, err)
			}
		})
	}
	for _, keys := range [][][]byte{
		{h, b},
		{h, b[:16]},
		{h, b[:24]},
		{append(bytes.Clone(h), h2...), b},
		{h, b, h2, b2},
	} {
		if _, err := NewCookieStore(time.Hour, keys...); err != nil {
			t.Errorf("valid keys refused: %v", err)
		}
	}
}

func TestCookieStoreCopiesKeys(t *testing.T) {
	h, b := testKeyPair(1)
	c := newTestCookieStore(t, time.Hour, h, b)
	v, err := c.Save(context.Background(), testSession())
	if err != nil {
		t.Fatal(err)
	}
	clear(h)
	clear(b)
	if _, err := c.Load(context.Background(), v); err != nil {
		t.Fatalf("store changed with the caller's key slices: %v", err)
	}
}

func TestGenerateKeyPair(t *testing.T) {
	h1, b1 := GenerateKeyPair()
	h2, b2 := GenerateKeyPair()
	if len(h1) != 32 || len(b1) != 32 {
		t.Fatalf("lengths %d, %d; want 32, 32", len(h1), len(b1))
	}
	if bytes.Equal(h1, h2) || bytes.Equal(b1, b2) || bytes.Equal(h1, b1) {
		t.Fatal("GenerateKeyPair repeats itself")
	}
	newTestCookieStore(t, time.Hour, h1, b1, h2, b2)
}

func FuzzCookieStoreLoad(f *testing.F) {
	h, b := testKeyPair(1)
	c := newTestCookieStore(f, time.Hour, h, b)
	good, err := c.Save(context.Background(), testSession())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", good, good[:len(good)/2], "!!", "MTIzfGFiY3xkZWY=", strings.Repeat("A", 5000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := c.Load(context.Background(), v)
		if err != nil {
			if !errors.Is(err, ErrNoSession) || s != nil {
				t.Fatalf("Load = %v, %v", s, err)
			}
			return
		}
		if s == nil || s.ID == "" || s.User == "" {
			t.Fatalf("Load succeeded with %+v", s)
		}
	})
}

func TestSessionSerializer(t *testing.T) {
	cases := []struct {
		name string
		s    Session
		fast bool // json.Marshal's form is parsed without encoding/json
	}{
		{"typical", *testSession(), true},
		{"minimal", Session{ID: "a", User: "b"}, true},
		{"unicode", Session{ID: "a", User: "jürgen", Groups: []string{"ops", "日本"}}, true},
		{"negative times", Session{ID: "a", User: "b", IssuedAt: -1, LastSeen: 0, ExpiresAt: -9223372036854775808}, true},
		{"max time", Session{ID: "a", User: "b", ExpiresAt: 9223372036854775807}, true},
		{"empty group name", Session{ID: "a", User: "b", Groups: []string{""}}, true},
		{"sections", Session{ID: "a", User: "b", Sections: []string{"_all_", "hr"}, Email: "b@example.com"}, true},
		{"one section, no groups", Session{ID: "a", User: "b", Sections: []string{"marketing"}}, true},
		{"escaped section", Session{ID: "a", User: "b", Sections: []string{`"hr"`}}, false},
		{"escaped html", Session{ID: "a", User: "<b>&", Groups: []string{`"q"`}}, false},
		{"control chars", Session{ID: "a\n", User: "b\t"}, false},
		{"invalid utf-8", Session{ID: "a", User: "\xff"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := sessionSerializer{}.Serialize(&tc.s)
			if err != nil {
				t.Fatal(err)
			}
			var want Session
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			var got Session
			if err := (sessionSerializer{}).Deserialize(b, &got); err != nil {
				t.Fatalf("Deserialize(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Deserialize(%s) = %+v, want %+v", b, got, want)
			}
			var fast Session
			if ok := parseSessionJSON(b, &fast); ok != tc.fast {
				t.Fatalf("fast path on %s = %v, want %v", b, ok, tc.fast)
			}
		})
	}
	if _, err := (sessionSerializer{}).Serialize("not a session"); err == nil {
		t.Error("Serialize accepted a string")
	}
	var m map[string]any
	if err := (sessionSerializer{}).Deserialize([]byte(`{}`), &m); err == nil {
		t.Error("Deserialize accepted a map")
	}
}

// FuzzSessionJSON checks that the fast parser agrees with encoding/json
// whenever it accepts an input.
func FuzzSessionJSON(f *testing.F) {
	b, _ := json.Marshal(testSession())
	for _, seed := range []string{
		string(b), `{}`, `{"i":"a","u":"b"}`, `{"g":[]}`, `{"g":null}`, `{"i":"a","i":"b"}`,
		`{"ia":01}`, `{"ia":-0}`, `{"ia":1e3}`, `{"e":99999999999999999999}`, `{"i":"\u0041"}`,
		`{"i":"a"} `, `{"x":1}`, `{"g":["a",]}`, `{"i":"\xff"}`, `{"i":"a","m":"a@b.example"}`, `{"m":"x","m":"y"}`,
		`{"i":"a","u":"b","s":["hr","marketing"]}`, `{"s":[]}`, `{"s":null}`, `{"s":["a"],"s":["b"]}`, `{"s":"hr"}`,
		`{"g":["x"],"s":["x"],"m":"y"}`, `{"s":["\u0068r"]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var fast Session
		if !parseSessionJSON(in, &fast) {
			return
		}
		var want Session
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json: %v", in, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("on %q fast path gives %+v, encoding/json %+v", in, fast, want)
		}
	})
}
