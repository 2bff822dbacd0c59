package demo_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/servetest"
)

// TestDemosShareRedis runs the net/http and the Gin demo as two processes
// on one real Redis (REDIS_URL): a session made on one is good on the
// other, a logout on one closes the session's WebSocket on the other with
// 4401, and failed passwords on both add up to a ban.
func TestDemosShareRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs and runs redis-server; skipped with -short")
	}
	redisSrv := servetest.Redis(t)
	// One secret for both demos, as `openssl rand -base64 32` makes it.
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := base64.StdEncoding.EncodeToString(raw)
	var bases []string
	for _, name := range []string{"nethttp", "gin"} {
		bases = append(bases, start(t, buildDemo(t, name), "INSECURE_COOKIES=1", "SESSION_SECRET="+secret,
			"REDIS_URL=redis://"+redisSrv.Addr+"/0"))
	}
	one, two := bases[0], bases[1]

	// A browser's Basic request on one starts a session; its cookie
	// works on two.
	res := get(t, http.DefaultClient, one+"/api/whoami", browserBasic("admin", "admin"))
	var cookie string
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == auth.DefaultSessionCookie {
			cookie = c.Value
		}
	}
	if res.status != 200 || cookie == "" {
		t.Fatalf("login on one: %d %v", res.status, res.header)
	}
	withCookie := map[string]string{"Cookie": auth.DefaultSessionCookie + "=" + cookie}
	if got := get(t, http.DefaultClient, two+"/api/whoami", withCookie); got.status != 200 || !strings.Contains(got.body, `"user":"admin"`) {
		t.Fatalf("the session on two: %d %q", got.status, got.body)
	}

	// A WebSocket on two, then a logout on one: two closes it with 4401.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(two, "http")+"/ws/echo",
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + cookie}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := conn.Read(ctx); err != nil || string(b) != "hi" {
		t.Fatalf("echo on two: %q %v", b, err)
	}
	dash := get(t, http.DefaultClient, one+"/", map[string]string{"Cookie": withCookie["Cookie"], "Accept": "text/html"})
	token := csrfField.FindStringSubmatch(dash.body)
	if dash.status != 200 || token == nil {
		t.Fatalf("dashboard on one: %d", dash.status)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	out := do(t, noRedirect, "POST", one+"/logout", url.Values{"csrf_token": {token[1]}}, withCookie)
	if out.status != 303 {
		t.Fatalf("logout on one: %d %q", out.status, out.body)
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != 4401 {
		t.Fatalf("the socket on two after the logout on one: %v, want close 4401", err)
	}
	if got := get(t, http.DefaultClient, two+"/api/whoami", withCookie); got.status != 401 {
		t.Fatalf("the logged-out session on two: %d", got.status)
	}

	// Five failures (the default policy), spread over both, ban viewer on
	// both, even with the right password.
	for i := range 5 {
		base := bases[i%2]
		if got := get(t, http.DefaultClient, base+"/api/whoami", basic("viewer", "wrong")); got.status != 401 {
			t.Fatalf("failure %d: %d", i+1, got.status)
		}
	}
	for _, base := range bases {
		if got := get(t, http.DefaultClient, base+"/api/whoami", basic("viewer", "viewer123")); got.status != 401 {
			t.Fatalf("banned viewer on %s: %d", base, got.status)
		}
	}
}
