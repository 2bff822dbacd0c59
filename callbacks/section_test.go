package callbacks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/internal/servetest"
)

// TestSectionsOnBackends checks callbacks and sockets in sections on
// net/http, Gin and Fiber: admin holds _all_, viewer marketing. A
// callback is in a section by its name ("hr-payroll", with
// SectionsFromNames) or by Callback.Section; the viewer's calls of hr
// callbacks are forbidden over HTTP (session and Basic alike) and over
// the socket, without their bodies running, and the socket that the
// viewer's session opened carries its sections and stays open. A socket
// route with auth.InSection("hr") closes the viewer's socket with 4403.
func TestSectionsOnBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be backendUnderTest) {
		cfg := testConfig
		cfg.SectionsFromNames = true
		app := newTestApp(t, be, appOptions{
			cfg:   cfg,
			extra: []auth.Option{auth.WithUserSections(map[string][]string{"admin": {auth.AllSections}, "viewer": {"marketing"}})},
			routes: func(t testing.TB, app *testApp, r backends.Router) {
				if err := app.sockets.Mount(r, "/ws/hr", echoSocket, auth.InSection("hr")); err != nil {
					t.Fatal(err)
				}
			},
		})
		registerSectionCallbacks(t, app)
		admin, _ := app.login("admin", "admin")
		viewer, _ := app.login("viewer", "viewer123")

		t.Run("http", func(t *testing.T) {
			for _, tc := range []struct {
				callback, cookie string
				status           int
				want             string
				denied           bool
			}{
				{"marketing-report", viewer, 200, `{"result":{"section":"marketing","user":"viewer"}}`, false},
				{"hr-payroll", viewer, 403, `"code":"forbidden"`, true},
				{"hr-payroll", admin, 200, `{"result":{"section":"hr","user":"admin"}}`, false},
				{"hr-payroll", "", 401, `"code":"unauthenticated"`, true},
				{"salaries", viewer, 403, `"code":"forbidden"`, true},
				{"salaries", admin, 200, `"section":"hr"`, false},
				{"hr-feed", viewer, 403, `"code":"forbidden"`, true},
				{"hr-admin", admin, 200, `"section":"hr"`, false},
				{"hr-admin", viewer, 403, `"code":"forbidden"`, true},
				{"whoami", viewer, 200, `"user":"viewer"`, false}, // no '-': no section
			} {
				before := app.ran.Load()
				got := app.post(tc.callback, `{}`, tc.cookie)
				if got.status != tc.status || !strings.Contains(got.body, tc.want) {
					t.Errorf("%s: %d %s, want %d containing %s", tc.callback, got.status, got.body, tc.status, tc.want)
				}
				if tc.denied && app.ran.Load() != before {
					t.Errorf("%s: the body of a denied callback ran", tc.callback)
				}
			}
			// With Basic and no session, the sections come from the
			// password check.
			req, _ := http.NewRequest("POST", app.base+"/_callbacks/hr-payroll", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", servetest.BasicHeader("viewer", "viewer123"))
			res, err := app.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("hr-payroll as viewer over Basic: %d", res.StatusCode)
			}
		})

		t.Run("ws", func(t *testing.T) {
			v := app.dial(t, viewer)
			before := app.ran.Load()
			for i, name := range []string{"hr-payroll", "salaries", "hr-feed"} {
				if f := v.roundTrip(string(rune('a'+i)), name, nil); f.code() != callbacks.CodeForbidden || f.Result != nil {
					t.Errorf("%s over the viewer's socket: %s", name, f.raw)
				}
			}
			if app.ran.Load() != before {
				t.Error("the body of a denied callback ran")
			}
			if f := v.roundTrip("m", "marketing-report", nil); string(f.Result) != `{"section":"marketing","user":"viewer"}` {
				t.Errorf("marketing-report over the viewer's socket: %s", f.raw)
			}
			v.mustEcho() // a forbidden call leaves the socket open

			a := app.dial(t, admin)
			if f := a.roundTrip("h", "hr-payroll", nil); string(f.Result) != `{"section":"hr","user":"admin"}` {
				t.Errorf("hr-payroll over the admin's socket: %s", f.raw)
			}
			a.call("s", "hr-feed", nil)
			if f := a.next(); string(f.Data) != `"hr"` {
				t.Errorf("hr-feed over the admin's socket: %s", f.raw)
			}
			if f := a.final("s"); !f.Done {
				t.Errorf("hr-feed did not end: %s", f.raw)
			}
		})

		t.Run("socket route", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			dial := func(cookie string) *websocket.Conn {
				h := http.Header{"Cookie": {auth.DefaultSessionCookie + "=" + cookie}}
				c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.base, "http")+"/ws/hr", &websocket.DialOptions{HTTPClient: app.client, HTTPHeader: h})
				if err != nil {
					t.Fatalf("dial /ws/hr: %v", err)
				}
				t.Cleanup(func() { c.CloseNow() })
				return c
			}
			_, _, err := dial(viewer).Read(ctx)
			if code := websocket.CloseStatus(err); code != 4403 {
				t.Errorf("viewer on /ws/hr: %v (close status %d), want 4403", err, code)
			}
			c := dial(admin)
			if err := c.Write(ctx, websocket.MessageText, []byte("hr")); err != nil {
				t.Fatal(err)
			}
			if _, b, err := c.Read(ctx); err != nil || string(b) != "hr" {
				t.Errorf("admin on /ws/hr: %q %v", b, err)
			}
		})
	})
}

// registerSectionCallbacks adds the section tests' callbacks: in a
// section by name (marketing-report, hr-payroll, the stream hr-feed), by
// Callback.Section (salaries), and by both with a group rule besides
// (hr-admin).
func registerSectionCallbacks(t testing.TB, app *testApp) {
	report := func(section string) callbacks.Func {
		return func(ctx context.Context, _ json.RawMessage) (any, error) {
			app.ran.Add(1)
			return map[string]string{"section": section, "user": auth.FromContext(ctx).User}, nil
		}
	}
	for _, err := range []error{
		app.reg.Protected("marketing-report", report("marketing")),
		app.reg.Protected("hr-payroll", report("hr")),
		app.reg.Register(callbacks.Callback{Name: "salaries", Section: "hr", Func: report("hr")}),
		app.reg.ProtectedStream("hr-feed", func(_ context.Context, _ json.RawMessage, emit func(any) error) error {
			app.ran.Add(1)
			return emit("hr")
		}),
		app.reg.Register(callbacks.Callback{Name: "hr-admin", Section: "hr", Func: report("hr"), Requires: []auth.Requirement{auth.OneOf("admin")}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// echoSocket echoes every message until the socket closes.
func echoSocket(ctx context.Context, c *websocket.Conn, _ *auth.Identity) {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if c.Write(ctx, typ, b) != nil {
			return
		}
	}
}

func TestSectionRegistrationErrors(t *testing.T) {
	fn := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	a, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"u": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	byName, err := callbacks.New(a, nil, callbacks.Config{SectionsFromNames: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := callbacks.New(a, nil, callbacks.Config{Prefix: "/_plain"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		reg  *callbacks.Registry
		cb   callbacks.Callback
		want string // the error says it; "" for none
	}{
		{"public in a section", plain, callbacks.Callback{Name: "x", Func: fn, Public: true, Section: "hr"}, "public but belongs to section"},
		{"public named after a section", byName, callbacks.Callback{Name: "hr-x", Func: fn, Public: true}, "public but belongs to section"},
		{"section with a comma", plain, callbacks.Callback{Name: "x", Func: fn, Section: "hr,marketing"}, "holds a comma"},
		{"padded section", plain, callbacks.Callback{Name: "y", Func: fn, Section: " hr"}, "white space"},
		{"name and section disagree", byName, callbacks.Callback{Name: "hr-y", Func: fn, Section: "marketing"}, `its name puts it in section "hr"`},
		{"name and section agree", byName, callbacks.Callback{Name: "hr-z", Func: fn, Section: "hr"}, ""},
		{"public without a dash", byName, callbacks.Callback{Name: "ping", Func: fn, Public: true}, ""},
		{"public with a leading dash", byName, callbacks.Callback{Name: "-ping", Func: fn, Public: true}, ""},
		{"dashes without SectionsFromNames", plain, callbacks.Callback{Name: "hr-x", Func: fn, Public: true}, ""},
	} {
		err := tc.reg.Register(tc.cb)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestSectionLeavesRequiresAlone checks that registering a callback in a
// section does not write into the caller's Requires slice.
func TestSectionLeavesRequiresAlone(t *testing.T) {
	a, err := auth.New(http.NewServeMux(), auth.WithUsers(map[string]string{"u": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := callbacks.New(a, nil, callbacks.Config{SectionsFromNames: true})
	if err != nil {
		t.Fatal(err)
	}
	fn := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	reqs := make([]auth.Requirement, 1, 4)
	reqs[0] = auth.OneOf("staff")
	if err := reg.Protected("hr-a", fn, reqs...); err != nil {
		t.Fatal(err)
	}
	if err := reg.Protected("marketing-b", fn, reqs...); err != nil {
		t.Fatal(err)
	}
	if extra := reqs[:2][1]; extra != nil {
		t.Fatalf("registration wrote %v past the caller's requirements", extra)
	}
}
