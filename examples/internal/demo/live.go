package demo

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/callbacks"
	"github.com/authwire/authwire/ws"
)

// Live is the demo's WebSocket side: the socket server, the callbacks and
// the two socket handlers, the same on every backend; and the "your
// sessions" routes, which end sessions and so their sockets.
type Live struct {
	Sockets   *ws.Server
	Callbacks *callbacks.Registry
	// Echo serves /ws/echo (any logged-in user); Admin serves /ws/admin
	// (group admin).
	Echo, Admin ws.Func

	sessions     *sessionRoutes
	stopWatching func()       // ends the Redis revocation watcher; nil without Redis
	closeStore   func() error // closes Redis or the state file
}

// Mount serves the callbacks under /_callbacks/ and the sockets at
// /ws/echo and /ws/admin on r, declaring their routes to the guard, and
// the sessions page and its forms (GET /sessions, GET /api/sessions,
// POST /sessions/revoke, POST /sessions/revoke-all; see sessionRoutes).
func (l *Live) Mount(r backends.Router) error {
	l.sessions.mount(r)
	return errors.Join(
		l.Callbacks.Mount(r),
		l.Sockets.Mount(r, "/ws/echo", l.Echo),
		l.Sockets.Mount(r, "/ws/admin", l.Admin, auth.OneOf("admin")),
	)
}

// NewLive builds the sockets and registers the demo's callbacks: echo
// (public, returns its args), whoami (protected), admin_stats (group
// admin), ticks (protected stream of {"n": i} for args.count items), and
// per section a report, marketing-report and hr-report, which its name
// puts in its section (callbacks.Config.SectionsFromNames).
func NewLive(a *auth.Auth, cfg Config) (*Live, error) {
	s, err := ws.New(a, ws.Config{Logger: cfg.Log})
	if err != nil {
		return nil, err
	}
	reg, err := callbacks.New(a, s, callbacks.Config{Logger: cfg.Log, SectionsFromNames: true})
	if err != nil {
		return nil, err
	}
	started := time.Now()
	err = errors.Join(
		reg.Public("echo", func(_ context.Context, args json.RawMessage) (any, error) { return args, nil }),
		reg.Protected("whoami", func(ctx context.Context, _ json.RawMessage) (any, error) {
			return WhoAmI(auth.FromContext(ctx)), nil
		}),
		reg.Protected("admin_stats", func(context.Context, json.RawMessage) (any, error) {
			return map[string]any{"sockets": s.Len(), "uptime_seconds": int(time.Since(started).Seconds())}, nil
		}, auth.OneOf("admin")),
		reg.ProtectedStream("ticks", callbacks.Stream(func(ctx context.Context, args struct {
			Count    int `json:"count"`
			Interval int `json:"interval_ms"`
		}, emit func(map[string]int) error) error {
			if args.Count < 0 || args.Count > 100000 {
				return callbacks.NewError(callbacks.CodeBadRequest, "count must be between 0 and 100000")
			}
			every := time.Duration(args.Interval) * time.Millisecond
			for i := range args.Count {
				if err := emit(map[string]int{"n": i}); err != nil {
					return err
				}
				if every > 0 {
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(every):
					}
				}
			}
			return nil
		})),
	)
	for _, sec := range sections() {
		err = errors.Join(err, reg.Protected(sec.ID+"-report", sectionReport(sec)))
	}
	if err != nil {
		return nil, err
	}
	l := &Live{
		Sockets: s, Callbacks: reg, Echo: echoSocket, Admin: echoSocket,
		sessions:   &sessionRoutes{a: a, log: cfg.Log, loginPage: cfg.loginPage, headers: cfg.PageHeaders()},
		closeStore: cfg.closeStore,
	}
	if cfg.Redis != nil {
		// Sessions (and users' sessions) revoked by another process end
		// here too: applying them runs this process's hooks, so the hub
		// closes their sockets, also after an outage of Redis.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := cfg.Redis.ApplyRevocations(ctx, a); err != nil && ctx.Err() == nil {
				cfg.Log.Error("watching revocations in Redis failed", "error", err)
			}
		}()
		l.stopWatching = func() { cancel(); <-done }
	}
	return l, nil
}

// echoSocket echoes every message until the socket closes.
func echoSocket(ctx context.Context, c *websocket.Conn, _ *auth.Identity) {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, b); err != nil {
			return
		}
	}
}

// Shutdown closes every socket (1001) and ends the calls in progress.
func (l *Live) Shutdown(ctx context.Context) error {
	return errors.Join(l.Sockets.Shutdown(ctx), l.Callbacks.Shutdown(ctx))
}

// Close lets go of Redis or the state file, once the HTTP server has
// stopped (requests in progress may still need them).
func (l *Live) Close() error {
	if l.stopWatching != nil {
		l.stopWatching()
	}
	if l.closeStore != nil {
		return l.closeStore()
	}
	return nil
}
