package callbacks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/authwire/authwire/auth"
)

// authorize applies cb's rules to the caller at call time. It returns
// allow, or the fallback result configured for the refusal, or the
// refusal itself.
func authorize(cb *Callback, id *auth.Identity) (allow bool, fallback any, refusal *Error) {
	if cb.Public {
		return true, nil, nil
	}
	d := auth.DecisionUnauthenticated
	if id != nil {
		d = auth.DecisionAllow
		for _, r := range cb.Requires {
			if d = r.Check(id); d != auth.DecisionAllow {
				break
			}
		}
	}
	switch d {
	case auth.DecisionAllow:
		return true, nil, nil
	case auth.DecisionUnauthenticated:
		if cb.UnauthenticatedResult != nil {
			return false, cb.UnauthenticatedResult, nil
		}
		return false, nil, NewError(CodeUnauthenticated, "log in to call "+cb.Name)
	default:
		if cb.ForbiddenResult != nil {
			return false, cb.ForbiddenResult, nil
		}
		return false, nil, NewError(CodeForbidden, "you may not call "+cb.Name)
	}
}

// admit starts one allowed call of cb: it counts the call for Shutdown,
// derives its context (ended by the callback's timeout, once its timer is
// armed, and by Shutdown) and takes one of the MaxConcurrent slots,
// waiting for one within that context. Unless it returns an error, the
// caller must end the context once the call is answered and call release
// once the callback has returned (a callback that ignores its context
// may return after its answer).
func (r *Registry) admit(ctx context.Context, cb *Callback) (callCtx *callContext, release func(), e *Error) {
	timeout := cb.Timeout
	if timeout == 0 {
		timeout = r.cfg.Timeout
	}
	caller := callerOf(ctx)
	if !r.enterCaller(caller) {
		return nil, nil, NewError(CodeTooMany, "too many calls of yours are running; wait for one to end")
	}
	if !r.track(&r.running) {
		r.leaveCaller(caller)
		return nil, nil, NewError(CodeUnavailable, "server shutting down")
	}
	callCtx = newCallContext(ctx, time.Now().Add(timeout))
	unlink := context.AfterFunc(r.life, func() { callCtx.cancel(context.Canceled) })
	select {
	case r.slots <- struct{}{}:
	default:
		// Waiting for a slot may take long: the deadline needs its timer.
		callCtx.arm()
		select {
		case r.slots <- struct{}{}:
		case <-callCtx.Done():
			e := r.ctxError(callCtx)
			unlink()
			callCtx.end()
			r.running.Done()
			r.leaveCaller(caller)
			return nil, nil, e
		}
	}
	release = func() {
		unlink()
		<-r.slots
		r.running.Done()
		r.leaveCaller(caller)
	}
	return callCtx, release, nil
}

// execute runs cb on the calling goroutine. A panic becomes errPanicked,
// logged with its stack. emit is used by streams only.
func (r *Registry) execute(ctx context.Context, cb *Callback, args json.RawMessage, emit func(any) error) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "authwire: callback panicked",
				slog.String("callback", cb.Name), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			result, err = nil, errPanicked
		}
	}()
	if cb.Stream != nil {
		return nil, cb.Stream(ctx, args, emit)
	}
	return cb.Func(ctx, args)
}

// outcome turns what cb returned on ctx into the caller's answer. An error
// that is not an *Error, returned after ctx ended, is reported as the
// reason ctx ended; other errors that are not an *Error are logged and
// hidden behind "internal".
func (r *Registry) outcome(ctx context.Context, cb *Callback, result any, err error) (any, *Error) {
	if err == nil {
		return result, nil
	}
	if ctx.Err() != nil && !errors.As(err, new(*Error)) {
		return nil, r.ctxError(ctx)
	}
	e, internal := asError(err)
	if internal && !errors.Is(err, errPanicked) {
		r.log.LogAttrs(ctx, slog.LevelError, "authwire: callback failed",
			slog.String("callback", cb.Name), slog.String("error", err.Error()))
	}
	return nil, e
}

// invoke runs one allowed call of cb in a goroutine of its own and waits
// for its outcome, or for its context to end (cancel, session ended,
// shutdown, timeout): the HTTP transport answers at once then, even if the
// callback ignores its context and keeps its goroutine a while longer.
func (r *Registry) invoke(ctx context.Context, cb *Callback, args json.RawMessage, emit func(any) error) (any, *Error) {
	callCtx, release, e := r.admit(ctx, cb)
	if e != nil {
		return nil, e
	}
	defer callCtx.end()
	callCtx.arm()
	ctx = callCtx
	type returned struct {
		result any
		err    error
	}
	done := make(chan returned, 1)
	go func() {
		defer release()
		result, err := r.execute(ctx, cb, args, emit)
		done <- returned{result, err}
	}()
	select {
	case o := <-done:
		return r.outcome(ctx, cb, o.result, o.err)
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
		return NewError(CodeUnauthenticated, "the session ended: log in again")
	}
	if r.life.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return NewError(CodeUnavailable, "server shutting down")
	}
	return ctxError(ctx)
}

// ctxError is the error for a call whose context ended.
func ctxError(ctx context.Context) *Error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return NewError(CodeTimeout, "the call took too long")
	}
	return NewError(CodeCancelled, "the call was cancelled")
}
