package callbacks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/authwire/authwire/auth"
)

// authorize applies cb's rules to the caller at call time. It returns
// allow, or the fallback result configured for the refusal, or the
// refusal itself.
func authorize(cb *Callback, id *auth.Identity) (allow bool, fallback any, refusal *Error) {
	if cb.Public {
		return true, nil, nil
	}
	d := auth.Unauthenticated
	if id != nil {
		d = auth.Allow
		for _, r := range cb.Requires {
			if d = r.Check(id); d != auth.Allow {
				break
			}
		}
	}
	switch d {
	case auth.Allow:
		return true, nil, nil
	case auth.Unauthenticated:
		if cb.UnauthenticatedResult != nil {
			return false, cb.UnauthenticatedResult, nil
		}
		return false, nil, Errorf(CodeUnauthenticated, "log in to call "+cb.Name)
	default:
		if cb.ForbiddenResult != nil {
			return false, cb.ForbiddenResult, nil
		}
		return false, nil, Errorf(CodeForbidden, "you may not call "+cb.Name)
	}
}

// invoke runs one allowed call of cb in its own goroutine and waits for
// it, or for ctx to end (cancel, socket closed, session ended, shutdown)
// or the call's timeout. It never panics: a panicking callback becomes an
// internal error, logged with its stack. A callback that ignores its
// context keeps its goroutine until it returns, but the caller is answered
// at once. emit is used by streams only.
func (r *Registry) invoke(ctx context.Context, cb *Callback, args json.RawMessage, emit func(any) error) (any, *Error) {
	timeout := cb.Timeout
	if timeout == 0 {
		timeout = r.cfg.Timeout
	}
	if !r.track(&r.running) {
		return nil, Errorf(CodeUnavailable, "server shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer context.AfterFunc(r.life, cancel)()

	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.running.Done()
		return nil, r.ctxError(ctx)
	}
	type outcome struct {
		result any
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		defer r.running.Done()
		defer func() { <-r.slots }()
		defer func() {
			if p := recover(); p != nil {
				r.log.LogAttrs(ctx, slog.LevelError, "authwire: callback panicked",
					slog.String("callback", cb.Name), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
				done <- outcome{err: errPanicked}
			}
		}()
		var o outcome
		if cb.Stream != nil {
			o.err = cb.Stream(ctx, args, emit)
		} else {
			o.result, o.err = cb.Func(ctx, args)
		}
		done <- o
	}()
	select {
	case o := <-done:
		if o.err == nil {
			return o.result, nil
		}
		if ctx.Err() != nil && !errors.As(o.err, new(*Error)) {
			return nil, r.ctxError(ctx)
		}
		e, internal := asError(o.err)
		if internal && !errors.Is(o.err, errPanicked) {
			r.log.LogAttrs(ctx, slog.LevelError, "authwire: callback failed",
				slog.String("callback", cb.Name), slog.String("error", o.err.Error()))
		}
		return nil, e
	case <-ctx.Done():
		return nil, r.ctxError(ctx)
	}
}

// errPanicked marks a recovered panic (already logged).
var errPanicked = errors.New("callbacks: callback panicked")

// ctxError is the error for a call whose context ended: "unauthenticated"
// when its session ended, "unavailable" when the registry's Shutdown
// ended it (the caller did not cancel it, so "cancelled", HTTP 499, would
// be wrong), else timeout or cancelled.
func (r *Registry) ctxError(ctx context.Context) *Error {
	if errors.Is(context.Cause(ctx), errSessionEnded) {
		return Errorf(CodeUnauthenticated, "the session ended: log in again")
	}
	if r.life.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return Errorf(CodeUnavailable, "server shutting down")
	}
	return ctxError(ctx)
}

// ctxError is the error for a call whose context ended.
func ctxError(ctx context.Context) *Error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Errorf(CodeTimeout, "the call took too long")
	}
	return Errorf(CodeCancelled, "the call was cancelled")
}
