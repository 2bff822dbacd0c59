package callbacks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/backends"
	"github.com/authwire/authwire/ws"
)

// Func is a unary callback: it gets the call's args as raw JSON and
// returns a result to encode as JSON. ctx carries the caller's identity
// (auth.FromContext) and ends when the call is cancelled, its socket
// closes, its session ends, the server shuts down or the call times out.
type Func func(ctx context.Context, args json.RawMessage) (any, error)

// StreamFunc is a streaming callback: it calls emit for each item, in
// order, and returns when done. emit blocks while the client is behind
// (so memory stays bounded) and fails once the call is over; a callback
// should return when emit fails.
type StreamFunc func(ctx context.Context, args json.RawMessage, emit func(item any) error) error

// Callback describes one registered callback in full; [Registry.Public],
// [Registry.Protected] and the stream variants fill it for the common
// cases.
type Callback struct {
	// Name is what clients call; letters, digits, '_', '-' and '.'.
	Name string
	// Func or Stream is the function (exactly one).
	Func   Func
	Stream StreamFunc
	// Public callbacks run for anyone, anonymous callers included.
	// Otherwise the caller must be authenticated and meet every
	// requirement in Requires.
	Public   bool
	Requires []auth.Requirement
	// Section, when set, puts the callback in a section of the
	// application: only a caller whose auth.Identity.Sections hold it
	// (or auth.AllSections) may call it, as if auth.InSection(Section)
	// were among Requires; others get "forbidden". With
	// Config.SectionsFromNames the name's "<section>-" prefix sets it.
	// A public callback cannot be in a section.
	Section string
	// Timeout bounds one call; zero takes the registry's default.
	Timeout time.Duration
	// UnauthenticatedResult, when non-nil, is returned as the result to
	// an anonymous caller instead of the unauthenticated error.
	UnauthenticatedResult any
	// ForbiddenResult, when non-nil, is returned as the result to a
	// caller who lacks a group or the section instead of the forbidden
	// error.
	ForbiddenResult any
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// prefixSegments is the shape of Config.Prefix: segments of letters,
// digits and - . _ ~, with no trailing slash.
var prefixSegments = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// validPrefix reports whether p is a valid Config.Prefix: the shape of
// prefixSegments, and no "." or ".." segment. The guard accepts every
// route pattern such a prefix makes, so declaring its routes fails only
// when they are declared already.
func validPrefix(p string) bool {
	return prefixSegments.MatchString(p) && !strings.Contains(p+"/", "/./") && !strings.Contains(p+"/", "/../")
}

// callbackSet is the registry's table, safe for concurrent use.
type callbackSet struct {
	mu     sync.RWMutex
	byName map[string]*Callback
	// sectionsFromNames is Config.SectionsFromNames.
	sectionsFromNames bool
}

// add registers cb, refusing bad names, duplicates and half-filled entries.
func (s *callbackSet) add(cb Callback) error {
	switch {
	case !validName.MatchString(cb.Name):
		return fmt.Errorf("callbacks: bad name %q (letters, digits, _ - . only, at most 64)", cb.Name)
	case (cb.Func == nil) == (cb.Stream == nil):
		return fmt.Errorf("callbacks: %q needs exactly one of Func and Stream", cb.Name)
	case cb.Public && len(cb.Requires) > 0:
		return fmt.Errorf("callbacks: %q is public but has requirements", cb.Name)
	case cb.Timeout < 0:
		return fmt.Errorf("callbacks: %q has a negative timeout", cb.Name)
	}
	for _, r := range cb.Requires {
		if r == nil {
			return fmt.Errorf("callbacks: %q has a nil requirement", cb.Name)
		}
	}
	cb, err := sectioned(cb, s.sectionsFromNames)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byName[cb.Name]; dup {
		return fmt.Errorf("callbacks: %q is already registered", cb.Name)
	}
	if s.byName == nil {
		s.byName = make(map[string]*Callback)
	}
	c := cb
	s.byName[cb.Name] = &c
	return nil
}

func (s *callbackSet) get(name string) *Callback {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byName[name]
}

// Config configures a [Registry]. Zero fields take the defaults given.
type Config struct {
	// Prefix is where the callbacks are served: one or more segments of
	// letters, digits and - . _ ~, without a trailing slash. Default
	// "/_callbacks".
	Prefix string
	// MaxArgsBytes bounds a call's JSON args; more is "too_large" (413).
	// Default 64 KiB.
	MaxArgsBytes int
	// Timeout bounds each call unless its Callback says otherwise.
	// Default 30 s.
	Timeout time.Duration
	// MaxConcurrent bounds the calls running at once, all transports
	// together; further calls wait for a slot (within their timeout).
	// Default 1024.
	MaxConcurrent int
	// MaxConcurrentPerCaller bounds the calls running at once for one
	// caller, all transports and sockets together: one user (per
	// provider) when logged in, else one client network (auth.Auth's
	// ClientNetwork). A call over it is refused at once with "too_many"
	// (HTTP 429), so that one caller cannot hold every slot of
	// MaxConcurrent while others wait. Default: MaxConcurrent / 4.
	MaxConcurrentPerCaller int
	// MaxConcurrentPerSocket bounds the calls running at once on one
	// WebSocket. Further calls wait for a slot; as many again may wait
	// while the socket is still read (so cancel frames, pings and a
	// disconnect are seen), and beyond that reading pauses until a call
	// ends (backpressure on the client). Default 64.
	MaxConcurrentPerSocket int
	// Logger receives failures and panics. Default slog.Default().
	Logger *slog.Logger
	// SectionsFromNames puts each callback whose name starts with
	// "<section>-" in that section (see Callback.Section), as a
	// dashboard names its components after the page they are on:
	// "marketing-plot" may be called only by callers in section
	// marketing. A name without '-' (or starting with one) is in no
	// section unless Callback.Section says so; a public callback whose
	// name names a section is a registration error. Default false.
	SectionsFromNames bool
}

// Registry holds the callbacks and serves them. Create it with [New].
type Registry struct {
	cfg     Config
	set     callbackSet
	slots   chan struct{}
	running sync.WaitGroup  // calls in progress; Add through track
	sockets sync.WaitGroup  // socket sessions in progress; Add through track
	gateMu  sync.RWMutex    // held for writing while Shutdown closes the gate
	closed  bool            // Shutdown has begun: track refuses
	life    context.Context // cancelled by Shutdown: every call's context ends
	dog     *watchdog       // watches the sockets' calls and writes
	endMu   sync.Mutex
	ends    map[string]map[*context.CancelCauseFunc]struct{} // HTTP calls by session ID
	stop    context.CancelFunc
	log     *slog.Logger
	ws      *ws.Server
	auth    *auth.Auth

	callersMu sync.Mutex
	callers   map[caller]int // calls running, by caller
}

// New creates a registry served at cfg.Prefix and declares its routes to
// a, where a second registry on the same prefix is an error: calls are
// optional-auth routes (anonymous callers reach public callbacks; a
// logged-in caller's identity is seen) and <prefix>/ws is a WebSocket
// route. sockets, which may be nil for HTTP only, serves the WebSocket
// transport; its sessions' ends close their sockets with 4401.
func New(a *auth.Auth, sockets *ws.Server, cfg Config) (*Registry, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: callbacks.New needs an *auth.Auth", auth.ErrInvalidConfig)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/_callbacks"
	}
	if !validPrefix(cfg.Prefix) {
		return nil, fmt.Errorf("%w: callback prefix %q must look like /_callbacks: segments of letters, digits and - . _ ~, without a trailing slash", auth.ErrInvalidConfig, cfg.Prefix)
	}
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&cfg.MaxArgsBytes, 64<<10)
	set(&cfg.MaxConcurrent, 1024)
	set(&cfg.MaxConcurrentPerSocket, 64)
	set(&cfg.MaxConcurrentPerCaller, max(1, cfg.MaxConcurrent/4))
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxArgsBytes < 0 || cfg.MaxConcurrent < 0 || cfg.MaxConcurrentPerSocket < 0 || cfg.MaxConcurrentPerCaller < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative callbacks limit", auth.ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := a.AddOptionalAuthRoutes(cfg.Prefix + "/{name}"); err != nil {
		// The prefix is valid, so the route is declared already.
		return nil, fmt.Errorf("%w: callbacks: a second registry on prefix %q (a registry is there already, or the app declared %q an optional-auth route itself)", auth.ErrInvalidConfig, cfg.Prefix, cfg.Prefix+"/{name}")
	}
	if err := a.AddWebSocketRoutes(cfg.Prefix + "/ws"); err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	r := &Registry{
		cfg:   cfg,
		set:   callbackSet{sectionsFromNames: cfg.SectionsFromNames},
		slots: make(chan struct{}, cfg.MaxConcurrent),
		life:  life,
		dog:   newWatchdog(life),
		stop:  stop,
		log:   cfg.Logger,
		ws:    sockets,
		auth:  a,

		callers: make(map[caller]int),
		ends:    make(map[string]map[*context.CancelCauseFunc]struct{}),
	}
	// A session's sockets are closed by the ws server when it ends; its
	// HTTP calls in progress end here.
	a.OnSessionEnd(r.sessionEnded)
	return r, nil
}

// errSessionEnded is the cause of a call's end when its session ended
// (logout, revocation).
var errSessionEnded = errors.New("callbacks: the session ended")

// bindSession returns a context that ends, with errSessionEnded, when the
// session with ID sid ends, and the function that releases it.
func (r *Registry) bindSession(ctx context.Context, sid string) (context.Context, func()) {
	if sid == "" {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	key := &cancel
	r.endMu.Lock()
	calls := r.ends[sid]
	if calls == nil {
		calls = make(map[*context.CancelCauseFunc]struct{})
		r.ends[sid] = calls
	}
	calls[key] = struct{}{}
	r.endMu.Unlock()
	return ctx, func() {
		r.endMu.Lock()
		delete(calls, key)
		if len(r.ends[sid]) == 0 {
			delete(r.ends, sid)
		}
		r.endMu.Unlock()
		cancel(nil)
	}
}

// sessionEnded is the auth.Auth OnSessionEnd hook: it ends the session's
// HTTP calls in progress.
func (r *Registry) sessionEnded(sid string) {
	r.endMu.Lock()
	defer r.endMu.Unlock()
	for cancel := range r.ends[sid] {
		(*cancel)(errSessionEnded) // only cancels a context: quick
	}
	delete(r.ends, sid)
}

// Mount serves the registry's [Registry.Handler] under its prefix on r,
// for every method:
//
//	err := reg.Mount(mux)                       // net/http
//	err := reg.Mount(ginbackend.Router(engine)) // Gin
//	err := reg.Mount(fiberbackend.Router(app))  // Fiber
func (r *Registry) Mount(rt backends.Router) error {
	if rt == nil {
		return fmt.Errorf("%w: callbacks: Mount needs a router", auth.ErrInvalidConfig)
	}
	rt.Handle(r.cfg.Prefix+"/", r.Handler())
	return nil
}

// Prefix is where the registry is served.
func (r *Registry) Prefix() string { return r.cfg.Prefix }

// Register adds a callback described in full.
func (r *Registry) Register(cb Callback) error { return r.set.add(cb) }

// Public registers a unary callback anyone may call.
func (r *Registry) Public(name string, fn Func) error {
	return r.set.add(Callback{Name: name, Func: fn, Public: true})
}

// Protected registers a unary callback for authenticated callers who meet
// every requirement (none: any authenticated caller).
func (r *Registry) Protected(name string, fn Func, reqs ...auth.Requirement) error {
	return r.set.add(Callback{Name: name, Func: fn, Requires: reqs})
}

// PublicStream registers a streaming callback anyone may call.
func (r *Registry) PublicStream(name string, fn StreamFunc) error {
	return r.set.add(Callback{Name: name, Stream: fn, Public: true})
}

// ProtectedStream registers a streaming callback for authenticated
// callers who meet every requirement.
func (r *Registry) ProtectedStream(name string, fn StreamFunc, reqs ...auth.Requirement) error {
	return r.set.add(Callback{Name: name, Stream: fn, Requires: reqs})
}

// Shutdown stops taking calls, cancels those in progress and waits for
// them (and the sockets' sessions) to end, or for ctx.
func (r *Registry) Shutdown(ctx context.Context) error {
	r.gateMu.Lock()
	r.closed = true
	r.gateMu.Unlock()
	r.stop()
	done := make(chan struct{})
	go func() {
		r.sockets.Wait()
		r.running.Wait()
		r.dog.wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// track adds one to wg, which Shutdown waits for, unless Shutdown has
// begun. A WaitGroup must not go up from zero while it is waited for, so
// an Add and Shutdown's close of the gate never overlap.
func (r *Registry) track(wg *sync.WaitGroup) bool {
	r.gateMu.RLock()
	defer r.gateMu.RUnlock()
	if r.closed {
		return false
	}
	wg.Add(1)
	return true
}
