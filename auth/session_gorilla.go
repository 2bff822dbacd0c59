package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/sessions"
)

// GorillaStore adapts any gorilla/sessions Store (its FilesystemStore, a
// Redis or database store from the gorilla ecosystem, ...) to
// [SessionStore]. name is the session name the gorilla store signs its
// cookies with; use the session cookie's name.
//
// The session's fields are kept in the gorilla session's Values under
// short string keys ("i", "u", "g", "p", "ia", "ls", "e"). Cookie
// attributes are authwire's, not the gorilla store's Options: the adapter
// only turns sessions into cookie values and back. Deleting a session asks
// the gorilla store to forget it (MaxAge -1), which server-side stores
// honour.
func GorillaStore(store sessions.Store, name string) SessionStore {
	return gorillaStore{store: store, name: name}
}

type gorillaStore struct {
	store sessions.Store
	name  string
}

// Save stores s through the gorilla store and returns the cookie value it
// set.
func (g gorillaStore) Save(ctx context.Context, s *Session) (string, error) {
	if s == nil || s.ID == "" || s.User == "" {
		return "", errors.New("auth: refusing to save a session without ID or user")
	}
	r := (&http.Request{Header: http.Header{}}).WithContext(ctx)
	gs, err := g.store.New(r, g.name)
	if gs == nil {
		return "", fmt.Errorf("auth: gorilla store: %w", err)
	}
	// Server-side gorilla stores key their records by gs.ID and only make
	// one up when it is empty: using the session ID lets Delete find it.
	gs.ID = s.ID
	gs.Values = map[any]any{
		"i": s.ID, "u": s.User, "g": append([]string(nil), s.Groups...), "p": s.Provider,
		"ia": s.IssuedAt, "ls": s.LastSeen, "e": s.ExpiresAt,
	}
	if len(s.Sections) > 0 {
		gs.Values["s"] = append([]string(nil), s.Sections...)
	}
	gs.Options = &sessions.Options{Path: "/", MaxAge: int(s.ExpiresAt - s.LastSeen)}
	if gs.Options.MaxAge < 1 {
		gs.Options.MaxAge = 1
	}
	w := headerRecorder{}
	if err := g.store.Save(r, w, gs); err != nil {
		return "", fmt.Errorf("auth: gorilla store: %w", err)
	}
	for _, c := range (&http.Response{Header: http.Header(w)}).Cookies() {
		if c.Name == g.name && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", errors.New("auth: gorilla store set no cookie")
}

// Load returns the session a cookie value names; every failure is
// ErrNoSession.
func (g gorillaStore) Load(ctx context.Context, cookie string) (*Session, error) {
	if cookie == "" || len(cookie) > MaxSessionCookieBytes {
		return nil, fmt.Errorf("%w: empty or oversized cookie", ErrNoSession)
	}
	r := (&http.Request{Header: http.Header{}}).WithContext(ctx)
	r.AddCookie(&http.Cookie{Name: g.name, Value: cookie})
	gs, err := g.store.New(r, g.name)
	if err != nil || gs == nil || gs.IsNew {
		return nil, fmt.Errorf("%w: the gorilla store does not know it", ErrNoSession)
	}
	s := &Session{}
	var ok1, ok2 bool
	s.ID, ok1 = gs.Values["i"].(string)
	s.User, ok2 = gs.Values["u"].(string)
	if !ok1 || !ok2 || s.ID == "" || s.User == "" {
		return nil, fmt.Errorf("%w: not an authwire session", ErrNoSession)
	}
	s.Groups, _ = gs.Values["g"].([]string)
	s.Sections, _ = gs.Values["s"].([]string)
	s.Provider, _ = gs.Values["p"].(string)
	s.IssuedAt, _ = gs.Values["ia"].(int64)
	s.LastSeen, _ = gs.Values["ls"].(int64)
	s.ExpiresAt, _ = gs.Values["e"].(int64)
	return s, nil
}

// Delete asks the gorilla store to forget the session. The cookie store
// keeps nothing, so for it this changes nothing; revocation is what ends
// a copied cookie.
func (g gorillaStore) Delete(ctx context.Context, s *Session) error {
	r := (&http.Request{Header: http.Header{}}).WithContext(ctx)
	gs := sessions.NewSession(g.store, g.name)
	gs.ID = s.ID
	gs.Options = &sessions.Options{Path: "/", MaxAge: -1}
	return g.store.Save(r, headerRecorder{}, gs)
}

// headerRecorder is the ResponseWriter a gorilla store writes its
// Set-Cookie header to.
type headerRecorder http.Header

func (h headerRecorder) Header() http.Header       { return http.Header(h) }
func (headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (headerRecorder) WriteHeader(int)             {}
