package auth

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestSessionCacheHoldsOnlyVerifiedCookies: a forged or foreign cookie is
// never stored, a good one is, and the cache keeps no cookie value.
func TestSessionCacheHoldsOnlyVerifiedCookies(t *testing.T) {
	hk, bk := testKeyPair(7)
	a, err := New(http.NotFoundHandler(), WithUsers(map[string]string{"u": "p", "admin": "p"}),
		WithSessions(SessionConfig{Keys: [][]byte{hk, bk}, Revocations: NewMemoryRevocations(nil)}))
	if err != nil {
		t.Fatal(err)
	}
	cache := a.sessions.cache
	if cache == nil {
		t.Fatal("no session cache with a cookie store")
	}
	send := func(cookie string) int {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", "application/json")
		r.AddCookie(&http.Cookie{Name: DefaultSessionCookie, Value: cookie})
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, r)
		return w.Code
	}
	other := newTestCookieStore(t, time.Hour, testKeyPairSlice(9)...)
	foreign, err := other.Save(t.Context(), testSession())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"garbage", foreign, foreign[:len(foreign)-2]} {
		if code := send(bad); code != http.StatusUnauthorized {
			t.Fatalf("bad cookie: %d", code)
		}
	}
	if n := cache.len(); n != 0 {
		t.Fatalf("%d entries after bad cookies, want 0", n)
	}
	good, err := a.sessions.store.Save(t.Context(), testSession())
	if err != nil {
		t.Fatal(err)
	}
	if code := send(good); code != http.StatusNotFound {
		t.Fatalf("good cookie: %d, want the handler's 404", code)
	}
	if n := cache.len(); n != 1 {
		t.Fatalf("%d entries after a good cookie, want 1", n)
	}
	for _, e := range cache.entries {
		if e.session.ID != testSession().ID || e.live != a.sessions.tracker.find(e.session.ID) {
			t.Fatalf("cached %+v", e.session)
		}
	}
}

func testKeyPairSlice(seed byte) [][]byte {
	h, b := testKeyPair(seed)
	return [][]byte{h, b}
}

// TestSessionCacheBounded: past maxCachedSessions entries, room is made.
func TestSessionCacheBounded(t *testing.T) {
	c, err := newSessionCache()
	if err != nil {
		t.Fatal(err)
	}
	s := testSession()
	live := &liveSession{}
	for i := range maxCachedSessions + 1000 {
		c.put(c.tags.sumString("cookie-"+strconv.Itoa(i)), s, live)
		if n := c.len(); n > maxCachedSessions {
			t.Fatalf("%d entries after %d puts, over the bound %d", n, i+1, maxCachedSessions)
		}
	}
	last := c.tags.sumString("cookie-" + strconv.Itoa(maxCachedSessions+999))
	if c.get(last) == nil {
		t.Fatal("the newest entry was dropped")
	}
}

// TestCachedSessionUse: use keeps the latest time and hands out one
// refresh per interval.
func TestCachedSessionUse(t *testing.T) {
	e := &cachedSession{live: &liveSession{}}
	e.live.seen.Store(100)
	e.refreshed.Store(100)
	if e.use(130, 60) {
		t.Fatal("refresh within the interval")
	}
	if !e.use(160, 60) || e.use(160, 60) || e.use(170, 60) {
		t.Fatal("want exactly one refresh at 160")
	}
	e.use(150, 60) // an older request finishing late
	if got := e.live.seen.Load(); got != 170 {
		t.Fatalf("seen = %d, want 170", got)
	}
}

// TestSessionTrackerBounded: past maxTrackedSessions, the idle sessions go
// first, and the tracker never holds more than its bound.
func TestSessionTrackerBounded(t *testing.T) {
	tr := newSessionTracker()
	const idleBefore = 1000
	for i := range maxTrackedSessions {
		seen := int64(2000) // live
		if i%2 == 0 {
			seen = 10 // idle
		}
		tr.get("s-"+strconv.Itoa(i), seen, idleBefore)
	}
	tr.get("newest", 2000, idleBefore)
	if n := len(tr.byID); n != maxTrackedSessions/2+1 {
		t.Fatalf("%d sessions after a sweep, want the %d live ones and the newest", n, maxTrackedSessions/2)
	}
	if tr.find("s-0") != nil || tr.find("s-1") == nil || tr.find("newest") == nil {
		t.Fatal("the sweep dropped a live session, or kept an idle one")
	}
	// With none idle, an eighth makes room.
	for i := range maxTrackedSessions {
		tr.get("l-"+strconv.Itoa(i), 2000, idleBefore)
		if n := len(tr.byID); n > maxTrackedSessions {
			t.Fatalf("%d sessions, over the bound %d", n, maxTrackedSessions)
		}
	}
}
