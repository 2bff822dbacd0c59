package lambdaauth

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/authwire/authwire/auth"
)

// FetchFunc fetches the whole table of users: user name to plaintext
// password or hash (see auth.NewUsers). It is given the context of the
// request that found the table due, so it ends with the invocation. It
// must be safe for concurrent use; a [Source] calls it once at a time.
type FetchFunc func(ctx context.Context) (map[string]string, error)

// Source defaults.
const (
	// DefaultSourceTTL is how long a fetched table is used before it is
	// fetched again.
	DefaultSourceTTL = 5 * time.Minute
	// DefaultRetryAfter is how long a Source waits after a failed fetch
	// before it tries again.
	DefaultRetryAfter = 10 * time.Second
)

// SourceConfig configures a [Source]. Zero fields take the defaults given.
type SourceConfig struct {
	// Name says where the table comes from in log lines, such as
	// "ssm:/myapp/users". Default "users".
	Name string
	// TTL is how long a fetched table is used before the next request
	// fetches it again. A changed password or user takes effect within
	// it (plus API Gateway's own cache of answers). Default
	// DefaultSourceTTL.
	TTL time.Duration
	// RetryAfter is how long to wait after a failed fetch before trying
	// again; meanwhile the last good table is served, or, with none,
	// every request is refused at once. Default DefaultRetryAfter.
	RetryAfter time.Duration
	// Logger receives fetch failures (never the table) and table changes.
	// Default: slog.Default() at NewSource.
	Logger *slog.Logger
	// Now is the clock. Default time.Now; tests pass a fake one.
	Now func() time.Time
}

// Source is an auth.UserSource over a [FetchFunc]: it keeps the table
// it fetched for the TTL, then fetches again on the next request. While
// one request fetches, the others go on with the table in force; only
// when there is none yet do they wait for it (or for their context to
// end).
//
// A fetch that fails, or whose table is not valid (a malformed hash, a
// user name with a colon), is logged and leaves the last good table in
// force, and is tried again after RetryAfter; until a first table
// arrives, every request is refused. A Source never lets anyone in for
// lack of a table. A table equal to the one in force is kept as it is,
// so its verified credentials stay remembered.
//
// Install it with auth.WithUserSource. It is safe for concurrent use.
type Source struct {
	fetch FetchFunc
	cfg   SourceConfig
	sem   chan struct{} // held while fetching
	state atomic.Pointer[sourceState]
}

// sourceState is what a Source has fetched, never changed once stored.
type sourceState struct {
	users  *auth.Users       // the table in force, nil before the first
	digest [sha256.Size]byte // of what users was parsed from (see tableDigest)
	next   time.Time         // when the next fetch is due
	err    error             // why the last fetch failed, while users is nil
}

// NewSource returns a Source over fetch. It fetches nothing yet: the
// first request does, or a call of [Source.Users] at start-up, which
// warms the function while Lambda's initialisation runs.
func NewSource(fetch FetchFunc, cfg SourceConfig) (*Source, error) {
	if fetch == nil {
		return nil, fmt.Errorf("%w: lambdaauth: NewSource with a nil FetchFunc", auth.ErrInvalidConfig)
	}
	if cfg.TTL < 0 || cfg.RetryAfter < 0 {
		return nil, fmt.Errorf("%w: lambdaauth: a negative TTL or RetryAfter", auth.ErrInvalidConfig)
	}
	if cfg.Name == "" {
		cfg.Name = "users"
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultSourceTTL
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{fetch: fetch, cfg: cfg, sem: make(chan struct{}, 1)}, nil
}

// errNotFetched is the state before any fetch: due at once.
var errNotFetched = errors.New("not fetched yet")

// Users returns the table in force, fetching it first when it is due.
// With no table it returns the last fetch's error.
func (s *Source) Users(ctx context.Context) (*auth.Users, error) {
	st := s.current()
	if s.cfg.Now().Before(st.next) {
		return st.answer()
	}
	if st.users != nil {
		select {
		case s.sem <- struct{}{}:
		default:
			return st.users, nil // another request is fetching
		}
	} else {
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer func() { <-s.sem }()
	if st = s.current(); s.cfg.Now().Before(st.next) {
		return st.answer() // fetched while this request waited
	}
	st = s.refresh(ctx, st)
	s.state.Store(st)
	return st.answer()
}

func (s *Source) current() *sourceState {
	if st := s.state.Load(); st != nil {
		return st
	}
	return &sourceState{err: errNotFetched}
}

func (st *sourceState) answer() (*auth.Users, error) {
	if st.users == nil {
		return nil, st.err
	}
	return st.users, nil
}

// refresh fetches and parses the table, and returns the state that
// follows from old.
func (s *Source) refresh(ctx context.Context, old *sourceState) *sourceState {
	raw, err := s.fetch(ctx)
	users, digest := old.users, old.digest
	if err == nil {
		digest = tableDigest(raw)
	}
	if err == nil && (users == nil || digest != old.digest) {
		users, err = auth.NewUsers(raw)
		if err == nil {
			s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "lambdaauth: loaded users",
				slog.String("source", s.cfg.Name), slog.Int("users", users.Len()))
		}
	}
	now := s.cfg.Now()
	if err != nil {
		msg := "lambdaauth: fetching users failed; keeping the last good table"
		if old.users == nil {
			msg = "lambdaauth: fetching users failed; with no table yet, every request is refused"
		}
		s.cfg.Logger.LogAttrs(ctx, slog.LevelError, msg, slog.String("source", s.cfg.Name), slog.String("error", err.Error()))
		return &sourceState{users: old.users, digest: old.digest, next: now.Add(s.cfg.RetryAfter),
			err: fmt.Errorf("lambdaauth: %s: %w", s.cfg.Name, err)}
	}
	return &sourceState{users: users, digest: digest, next: now.Add(s.cfg.TTL)}
}

// tableDigest is the SHA-256 of a table's entries in order of user name,
// each part preceded by its length, so that two tables have the same
// digest only when they hold the same entries. It tells a fetched table
// from the one in force without keeping the fetched passwords.
func tableDigest(m map[string]string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, user := range slices.Sorted(maps.Keys(m)) {
		for _, part := range [2]string{user, m[user]} {
			binary.BigEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write([]byte(part))
		}
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}
