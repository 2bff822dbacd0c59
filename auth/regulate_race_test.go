package auth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// These tests send many password guesses at once and count the password
// hashes that ran. They use only what the old check had too (New, the
// verifier's source and its hashRuns), so they run against it unchanged.

// raceCost is the bcrypt cost of the users here: cheap enough for -race,
// dear enough that many requests are in flight while one hash runs.
const raceCost = 6

// racePolicy is the policy under attack: 5 failures in a minute.
var racePolicy = RegulationPolicy{MaxFailures: 5, Window: time.Minute, BanTime: 5 * time.Minute}

// hashCounter counts every run of a stored password's verify, whoever
// asked for it (a check or a refused attempt), and the most that ran at
// once.
type hashCounter struct {
	runs, running, most atomic.Int64
}

func (c *hashCounter) enter() {
	c.runs.Add(1)
	n := c.running.Add(1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
}

func (c *hashCounter) exit() { c.running.Add(-1) }

// countedSource wraps a credential source so that its passwords, and its
// dummy, count their verify runs.
type countedSource struct {
	credentialSource
	c *hashCounter
}

func (s countedSource) lookup(user string) (storedPassword, bool) {
	p, ok := s.credentialSource.lookup(user)
	if ok {
		p = countedPassword{p, s.c}
	}
	return p, ok
}

func (s countedSource) dummy() storedPassword {
	return countedPassword{s.credentialSource.dummy(), s.c}
}

type countedPassword struct {
	storedPassword
	c *hashCounter
}

func (p countedPassword) verify(password []byte) bool {
	p.c.enter()
	defer p.c.exit()
	return p.storedPassword.verify(password)
}

// raceAuth is an Auth with one bcrypt user, admin/right, the race policy,
// one hash slot, sessions and the login form, whose hashes are counted.
func raceAuth(t *testing.T) (*Auth, *hashCounter) {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("right"), raceCost)
	if err != nil {
		t.Fatal(err)
	}
	hash, block := GenerateKeyPair()
	keys := [][]byte{hash, block}
	a, err := New(okMux(),
		WithHashedUsers(map[string]string{"admin": string(h)}),
		WithRegulationPolicy(racePolicy),
		WithMaxConcurrentHashes(1),
		WithSessions(SessionConfig{Keys: keys, InsecureCookies: true}),
		WithLoginForm(LoginConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	c := &hashCounter{}
	v := a.basic.passwords.creds
	v.src = countedSource{v.src, c}
	return a, c
}

// storm sends the requests made by req(0) … req(n-1) all at once and
// returns their statuses.
func storm(h http.Handler, n int, req func(i int) *http.Request) []int {
	reqs := make([]*http.Request, n)
	for i := range n {
		reqs[i] = req(i)
	}
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, reqs[i])
			statuses[i] = rec.Code
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// basicGuess is a Basic request for / from its own address.
func basicGuess(user, password string, from int) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, password)
	r.Header.Set("Accept", "application/json")
	r.RemoteAddr = fmt.Sprintf("198.51.%d.%d:40000", from/250, from%250+1)
	return r
}

// guess39 is the i-th of 40 guesses: wrong ones, with the right password
// as the last.
func guess39(i int) string {
	if i == 39 {
		return "right"
	}
	return fmt.Sprintf("wrong-%d", i)
}

// checkStorm asserts what 40 concurrent guesses may give: at most one
// success (the right password, only if it was one of the checks allowed)
// and at most MaxFailures failed checks.
func checkStorm(t *testing.T, a *Auth, statuses []int) {
	t.Helper()
	ok := 0
	for i, st := range statuses {
		switch {
		case st == 200 && i == 39:
			ok++
		case st != 401:
			t.Errorf("guess %d: status %d", i, st)
		}
	}
	checks := int(a.basic.passwords.creds.hashRuns.Load())
	if failed := checks - ok; failed > racePolicy.MaxFailures {
		t.Errorf("40 concurrent guesses ran %d password checks (%d right): %d failed checks, want at most %d",
			checks, ok, failed, racePolicy.MaxFailures)
	}
}

// TestConcurrentBasicGuessesCheckAtMostMaxFailures is the attack of issue
// 12, finding 1: 40 Basic guesses for one bcrypt user at once, each from
// its own address, the right password among them. The attempt is counted
// before its hash runs, so at most MaxFailures wrong passwords are
// checked, and once they are, the right one gets the same 401.
func TestConcurrentBasicGuessesCheckAtMostMaxFailures(t *testing.T) {
	a, hashes := raceAuth(t)
	statuses := storm(a.Handler(), 40, func(i int) *http.Request { return basicGuess("admin", guess39(i), i) })
	checkStorm(t, a, statuses)
	if n := hashes.most.Load(); n > 1 {
		t.Errorf("%d hashes ran at once, over the cap of 1", n)
	}
	// If the right password was one of the checks, it gave its attempt
	// back, and one more failure is needed for the ban. Banned then, from
	// anywhere, even with the right password.
	send := func(password string, from int) int {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, basicGuess("admin", password, from))
		return rec.Code
	}
	if st := send("wrong-again", 998); st != 401 {
		t.Fatalf("a wrong password after the storm: %d", st)
	}
	if st := send("right", 999); st != 401 {
		t.Fatalf("the right password once banned: %d, want 401", st)
	}
}

// TestConcurrentGuessesFromOneAddressCheckAtMostMaxFailures guesses 40
// different users at once from one address: the address's count stops
// them just as a user's does.
func TestConcurrentGuessesFromOneAddressCheckAtMostMaxFailures(t *testing.T) {
	a, _ := raceAuth(t)
	statuses := storm(a.Handler(), 40, func(i int) *http.Request {
		user := fmt.Sprintf("user%d", i)
		if i == 39 {
			user = "admin"
		}
		return basicGuess(user, guess39(i), 0)
	})
	checkStorm(t, a, statuses)
}

var raceCSRFField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestConcurrentFormGuessesCheckAtMostMaxFailures is the same attack on
// POST /login: 40 posts sharing one CSRF token, each from its own address.
func TestConcurrentFormGuessesCheckAtMostMaxFailures(t *testing.T) {
	a, _ := raceAuth(t)
	page := httptest.NewRecorder()
	a.Handler().ServeHTTP(page, httptest.NewRequest("GET", "/login", nil))
	m := raceCSRFField.FindStringSubmatch(page.Body.String())
	var cookie *http.Cookie
	for _, c := range page.Result().Cookies() {
		if c.Name == loginCSRFCookie {
			cookie = c
		}
	}
	if m == nil || cookie == nil {
		t.Fatalf("no CSRF token or cookie on the login page: %d", page.Code)
	}
	post := func(password string, from int) *http.Request {
		form := url.Values{"username": {"admin"}, "password": {password}, "csrf_token": {m[1]}}
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(cookie)
		r.RemoteAddr = fmt.Sprintf("203.0.113.%d:40000", from%250+1)
		return r
	}
	statuses := storm(a.Handler(), 40, func(i int) *http.Request { return post(guess39(i), i) })
	// A right password answers 303 to the next page; count it as 200.
	for i, st := range statuses {
		if st == http.StatusSeeOther {
			statuses[i] = 200
		}
	}
	checkStorm(t, a, statuses)
	// One more failure, in case the right password was checked and gave
	// its attempt back; then the right password is refused.
	for _, try := range []struct {
		password string
		from     int
	}{{"wrong-again", 248}, {"right", 249}} {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, post(try.password, try.from))
		if rec.Code != 401 {
			t.Fatalf("%s once banned: %d, want 401", try.password, rec.Code)
		}
	}
}

// TestBannedAttemptTakesAsLongAsAHash: a refused attempt (banned user,
// even with a cached right password) checks nothing, and holds a hash
// slot for as long as the real hashes before it took, without running
// one; once that figure is a minute old, a refused attempt runs a real
// hash again and measures it. So a ban does not show in timing, and a
// flood of banned guesses costs no CPU.
func TestBannedAttemptTakesAsLongAsAHash(t *testing.T) {
	a, hashes := raceAuth(t)
	h := a.Handler()
	v := a.basic.passwords.creds
	now := time.Now()
	var mu sync.Mutex
	v.times.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var slept []time.Duration
	v.sleep = func(d time.Duration) {
		if n := len(v.slots); n != 1 {
			t.Errorf("a refused attempt waited holding %d hash slots, want 1", n)
		}
		slept = append(slept, d)
	}
	send := func(password string, from int) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, basicGuess("admin", password, from))
		return rec.Code
	}
	// The right password, once: it is in the verified cache from now on.
	if st := send("right", 0); st != 200 {
		t.Fatalf("the right password: %d", st)
	}
	for i := range racePolicy.MaxFailures {
		if st := send(fmt.Sprintf("wrong-%d", i), i+1); st != 401 {
			t.Fatalf("wrong password %d: %d", i, st)
		}
	}
	checks, before := v.hashRuns.Load(), hashes.runs.Load()
	if checks != uint64(racePolicy.MaxFailures)+1 || before != int64(checks) {
		t.Fatalf("before the ban: %d checks, %d hashes; want %d of each", checks, before, racePolicy.MaxFailures+1)
	}
	want, ok := v.times.estimate(v.src.dummy().work())
	if !ok || want <= 0 {
		t.Fatalf("after %d real hashes, no hash time is known: %v %v", checks, want, ok)
	}
	const banned = 6
	for i := range banned {
		pw := fmt.Sprintf("banned-%d", i)
		if i%2 == 0 {
			pw = "right" // cached, and banned all the same
		}
		if st := send(pw, 100+i); st != 401 {
			t.Fatalf("banned attempt %d: %d, want 401", i, st)
		}
	}
	if n := v.hashRuns.Load(); n != checks {
		t.Errorf("banned attempts were checked: %d checks, want %d", n, checks)
	}
	if n := hashes.runs.Load() - before; n != 0 {
		t.Errorf("%d banned attempts ran %d hashes, want none while a hash time is known", banned, n)
	}
	if len(slept) != banned {
		t.Fatalf("%d banned attempts held a slot %d times, want once each", banned, len(slept))
	}
	for i, d := range slept {
		if d != want {
			t.Errorf("banned attempt %d held its slot for %v, want the measured hash time %v", i, d, want)
		}
	}

	// A minute on, the figure is stale: the next refused attempt hashes.
	mu.Lock()
	now = now.Add(hashTimeFresh)
	mu.Unlock()
	if st := send("banned-late", 200); st != 401 {
		t.Fatalf("late banned attempt: %d", st)
	}
	if n := hashes.runs.Load() - before; n != 1 {
		t.Errorf("with a stale hash time, a banned attempt ran %d hashes, want 1", n)
	}
	if _, ok := v.times.estimate(v.src.dummy().work()); !ok {
		t.Error("the real hash of a refused attempt was not measured")
	}
}
