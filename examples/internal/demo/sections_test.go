package demo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/examples/internal/demo"
)

// checkSections checks the demo's sections (admin _all_, viewer
// marketing) on a running demo: the pages /marketing and /hr, the
// callbacks marketing-report and hr-report over HTTP and over the
// socket a session opened, the dashboard's tabs, and encoded paths that
// try to bring the viewer to the hr page.
func checkSections(t *testing.T, base string) {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	viewer, admin := basic("viewer", "viewer123"), basic("admin", "admin")
	for _, tc := range []struct {
		what, path string
		headers    map[string]string
		status     int
		contains   string
	}{
		{"viewer reads marketing", "/marketing", viewer, 200, `id="section-marketing"`},
		{"viewer at hr", "/hr", viewer, 403, `"forbidden"`},
		{"admin reads hr", "/hr", admin, 200, `id="section-hr"`},
		{"admin reads marketing", "/marketing", admin, 200, `id="section-marketing"`},
		{"anonymous at hr", "/hr", nil, 401, `"unauthenticated"`},
		{"viewer's whoami", "/api/whoami", viewer, 200, `"sections":["marketing"]`},
		{"admin's whoami", "/api/whoami", admin, 200, `"sections":["_all_"]`},
	} {
		if r := get(t, c, base+tc.path, tc.headers); r.status != tc.status || !strings.Contains(r.body, tc.contains) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.what, r.status, r.body, tc.status, tc.contains)
		}
	}
	if r := do(t, c, "HEAD", base+"/hr", nil, viewer); r.status != 403 {
		t.Errorf("HEAD /hr as viewer: %d", r.status)
	}
	// A browser is sent to log in, and back to the section after.
	if r := get(t, c, base+"/hr", map[string]string{"Accept": "text/html"}); r.status != 303 || r.header.Get("Location") != "/login?next=%2Fhr" {
		t.Errorf("anonymous browser at /hr: %d %q", r.status, r.header.Get("Location"))
	}
	// The dashboard's tabs: the viewer's hr tab is marked, marketing not.
	dash := get(t, c, base+"/", viewer)
	if !strings.Contains(dash.body, `id="tab-marketing">Marketing<`) || !strings.Contains(dash.body, `id="tab-hr" class="locked"`) {
		t.Errorf("the viewer's tabs: %q", tabs(dash.body))
	}
	if dash := get(t, c, base+"/", admin); strings.Contains(tabs(dash.body), "locked") {
		t.Errorf("the admin's tabs: %q", tabs(dash.body))
	}

	// The section callbacks over HTTP.
	for _, tc := range []struct {
		name     string
		headers  map[string]string
		status   int
		contains string
	}{
		{"marketing-report", viewer, 200, `"Leads this week"`},
		{"hr-report", viewer, 403, `"code":"forbidden"`},
		{"hr-report", admin, 200, `"Open positions"`},
		{"hr-report", nil, 401, `"code":"unauthenticated"`},
	} {
		if r := callback(t, base, tc.name, tc.headers); r.status != tc.status || !strings.Contains(r.body, tc.contains) {
			t.Errorf("callback %s: %d %q, want %d containing %q", tc.name, r.status, r.body, tc.status, tc.contains)
		}
	}

	// Over the socket of the viewer's session: it carries the sections.
	login := get(t, c, base+"/api/whoami", browserBasic("viewer", "viewer123"))
	var session string
	for _, k := range (&http.Response{Header: login.header}).Cookies() {
		if k.Name == "authwire_session" {
			session = k.Value
		}
	}
	if session == "" {
		t.Fatalf("the viewer's browser login set no session: %v", login.header)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/_callbacks/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {"authwire_session=" + session}}})
	if err != nil {
		t.Fatalf("dial the callbacks socket: %v", err)
	}
	defer conn.CloseNow()
	call := func(id, name string) string {
		t.Helper()
		if err := conn.Write(ctx, websocket.MessageText, []byte(`{"id":"`+id+`","call":"`+name+`","args":{}}`)); err != nil {
			t.Fatal(err)
		}
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("%s over the socket: %v", name, err)
		}
		return string(b)
	}
	for i, tc := range []struct{ name, want string }{
		{"hr-report", `"error":{"code":"forbidden"`},
		{"marketing-report", `"section":"marketing"`},
		{"whoami", `"sections":["marketing"]`},
		{"hr-report", `"error":{"code":"forbidden"`}, // the socket stays open
	} {
		id := fmt.Sprint(i + 1)
		if got := call(id, tc.name); !strings.HasPrefix(got, `{"id":"`+id+`",`) || !strings.Contains(got, tc.want) {
			t.Errorf("%s over the viewer's socket: %s, want %s", tc.name, got, tc.want)
		}
	}

	// Encoded paths never bring the viewer to the hr page.
	for _, target := range []string{
		"/marketing/../hr", "/marketing/%2e%2e/hr", "/marketing/..%2fhr", "/marketing%2f..%2fhr",
		"/%68r", "/%68%72", "/HR", "/Hr", "/hr/", "//hr", "/./hr", "/hr%00", "/hr;x", "/hr%2f",
		"/marketing?/../hr", "/marketing#/../hr", "/public/..%2fhr", "/public/%2e%2e/hr", "/user/1/public/../../hr",
	} {
		r := raw(t, base, target, viewer)
		if r.status >= 500 || strings.Contains(r.body, `id="section-hr"`) || strings.Contains(r.body, "Open positions") {
			t.Errorf("GET %s as viewer: %d, the hr page or a server error:\n%s", target, r.status, r.body)
		}
		t.Logf("GET %s as viewer: %d %s", target, r.status, r.header.Get("Location"))
	}
}

// tabs returns the tab bar of a page.
func tabs(page string) string {
	start := strings.Index(page, `<nav class="tabs"`)
	end := strings.Index(page, "</nav>")
	if start < 0 || end < start {
		return ""
	}
	return page[start:end]
}

// callback calls a callback over HTTP with headers.
func callback(t *testing.T, base, name string, headers map[string]string) result {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/_callbacks/"+name, strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, string(b)}
}

// raw sends GET target byte for byte, as no http.Client would, on a
// connection of its own, and reads the answer.
func raw(t *testing.T, base, target string, headers map[string]string) result {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", target, addr)
	for k, v := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, string(body)}
}

// TestWhoAmISections checks the JSON of /api/whoami for a user in no
// section: an empty list, not null.
func TestWhoAmISections(t *testing.T) {
	b, err := json.Marshal(demo.WhoAmI(&auth.Identity{User: "x", Groups: []string{}}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"sections":[]`) {
		t.Fatalf("whoami without sections: %s", b)
	}
}
