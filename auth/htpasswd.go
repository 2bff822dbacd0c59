package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// htpasswdFile serves users from an Apache htpasswd file and re-reads it when it changes.
//
// Each line is "user:hash" with a hash in a format parseStoredHash accepts
// (bcrypt, argon2id, $apr1$, {SHA}), split at the first colon. Lines are
// trimmed of surrounding blanks and CR as Apache does; blank lines and
// lines starting with '#' are skipped; a later line for the same user
// replaces an earlier one (and is logged as a warning). Lookups never take a lock: they load the current table through an
// atomic pointer. A reload builds a whole new table, dummy included, and
// swaps it in; a file that has become unreadable or malformed leaves the
// previous table in place and is reported through the logger.
type htpasswdFile struct {
	file *watchedFile[htpasswdTable]
}

// htpasswdTable is one parsed version of an htpasswd file. It is never
// modified once built.
type htpasswdTable struct {
	users map[string]storedPassword
	dummy storedPassword // of the dearest entry; see dearestDummy
}

// openHtpasswd reads the htpasswd file at path. Any problem with the file
// (unreadable, a line without a colon, an empty user name, a hash this
// package cannot verify) is an error naming the file and the line, never
// the hash. checkEvery is the least time between two checks of the file
// for changes (0 checks on every lookup); now is the clock (nil:
// time.Now) and log receives reload reports (nil: discarded).
func openHtpasswd(path string, checkEvery time.Duration, now func() time.Time, log *slog.Logger) (*htpasswdFile, error) {
	w, err := openWatchedFile(path, "htpasswd", checkEvery, now, log, parseHtpasswd)
	if err != nil {
		return nil, err
	}
	return &htpasswdFile{file: w}, nil
}

// lookup returns the stored password of user; it re-stats the file at most
// once per checkEvery (0 = every call) and reparses when mtime, size or
// inode changed. A caller that arrives while another is reparsing does not
// wait: it gets the table in force.
func (f *htpasswdFile) lookup(user string) (storedPassword, bool) {
	p, ok := f.file.current().users[user]
	return p, ok
}

// dummy returns the dummy of the dearest entry (highest work()) in the
// current table (plainPassword dummy if empty). It was made when the table
// was built, so calling it costs nothing.
func (f *htpasswdFile) dummy() storedPassword {
	return f.file.loaded().table.dummy
}

// generation counts the tables loaded so far, starting at 1; it changes
// exactly when lookup may start answering from a different version of the
// file.
func (f *htpasswdFile) generation() uint64 {
	return f.file.loaded().gen
}

// parseHtpasswd builds a table from the content of an htpasswd file. Errors
// name path and the line number; the hash text is never included.
func parseHtpasswd(r io.Reader, path string, log *slog.Logger) (*htpasswdTable, error) {
	t := &htpasswdTable{users: make(map[string]storedPassword)}
	lastLine := make(map[string]int) // where each user was last seen
	err := scanConfigLines(r, path, "htpasswd", func(n int, line string) error {
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			return errors.New("no ':' between user and hash")
		case user == "":
			return errors.New("empty user name")
		case strings.ContainsFunc(user, isCTL):
			return errors.New("user name contains a control character")
		}
		p, err := parseStoredHash(hash)
		if err != nil {
			return err
		}
		if prev, dup := lastLine[user]; dup {
			log.Warn("auth: htpasswd file names a user twice; the later line wins",
				"path", path, "line", n, "earlier_line", prev)
		}
		lastLine[user] = n
		t.users[user] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.users) == 0 {
		log.Warn("auth: htpasswd file has no users; every login will fail", "path", path)
	}
	// The dummy is built here, once per table: for bcrypt this is a full
	// hash at the dearest entry's cost.
	if t.dummy, err = dearestDummy(func(yield func(storedPassword) bool) {
		for _, p := range t.users {
			if !yield(p) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// maxConfigLine bounds one line of an htpasswd or htgroup file.
const maxConfigLine = 1 << 20

// scanConfigLines calls fn with each meaningful line of r and its 1-based
// number. Lines are trimmed of surrounding blanks (space, tab, CR, VT, FF,
// as Apache does), and blank lines and lines starting with '#' are
// skipped. An error from fn or from reading is returned with the file kind,
// path and line number in front.
func scanConfigLines(r io.Reader, path, kind string, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxConfigLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.Trim(sc.Text(), " \t\r\v\f")
		if line == "" || line[0] == '#' {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("auth: %s file %s: line %d: %w", kind, path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("longer than %d bytes", maxConfigLine)
		}
		return fmt.Errorf("auth: %s file %s: line %d: %w", kind, path, n+1, err)
	}
	return nil
}

// watchedFile holds the parsed form of a file and re-reads the file when
// it changes. It backs both htpasswdFile and htgroupFile.
//
// The parsed table sits behind an atomic pointer, so readers take no lock.
// At most once per checkEvery (tracked with an atomic timestamp and a
// compare-and-swap, so one caller per interval does the check) the file is
// stat'ed; when its identity (device and inode), size or modification time
// differ from the version last read, it is parsed again and, if that
// succeeds, the new table is swapped in. A mutex serialises checks; a
// caller that finds one already running goes on with the current table
// instead of waiting.
//
// A change that keeps the inode, the size and the modification time (an
// in-place edit within one timestamp tick) is not noticed until the next
// change; replacing the file by rename, as editors and htpasswd do, always
// is.
type watchedFile[T any] struct {
	path, kind string
	parse      func(r io.Reader, path string, log *slog.Logger) (*T, error)
	checkEvery time.Duration
	now        func() time.Time
	log        *slog.Logger
	start      time.Time    // lastCheck counts from here (keeps monotonic time)
	lastCheck  atomic.Int64 // nanoseconds after start of the last check
	cur        atomic.Pointer[loadedTable[T]]

	mu      sync.Mutex  // held during a check; guards seen and missing
	seen    os.FileInfo // the version of the file last parsed, good or bad
	missing bool        // the last check could not stat the file
}

// loadedTable is a parsed table with its generation number.
type loadedTable[T any] struct {
	gen   uint64
	table *T
}

func openWatchedFile[T any](path, kind string, checkEvery time.Duration, now func() time.Time, log *slog.Logger,
	parse func(io.Reader, string, *slog.Logger) (*T, error)) (*watchedFile[T], error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &watchedFile[T]{path: path, kind: kind, parse: parse, checkEvery: max(checkEvery, 0),
		now: now, log: log, start: now()}
	t, fi, err := w.read()
	if err != nil {
		return nil, err
	}
	w.seen = fi
	w.cur.Store(&loadedTable[T]{gen: 1, table: t})
	return w, nil
}

// loaded returns the current table without checking the file.
func (w *watchedFile[T]) loaded() *loadedTable[T] { return w.cur.Load() }

// current checks the file if it is time to, then returns the current table.
func (w *watchedFile[T]) current() *T {
	if w.due() {
		w.check()
	}
	return w.cur.Load().table
}

// due reports whether this caller should check the file now. With a
// positive interval only the caller that advances lastCheck is told yes.
// A clock that went backwards counts as due, so a check is never put off
// by more than one interval.
func (w *watchedFile[T]) due() bool {
	if w.checkEvery == 0 {
		return true
	}
	now := int64(w.now().Sub(w.start))
	last := w.lastCheck.Load()
	if d := now - last; d >= 0 && d < int64(w.checkEvery) {
		return false
	}
	return w.lastCheck.CompareAndSwap(last, now)
}

// check stats the file and reloads it if it changed. Failures keep the
// current table and are logged once per failing version of the file.
func (w *watchedFile[T]) check() {
	if !w.mu.TryLock() {
		return // another caller is checking right now
	}
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if err != nil {
		if !w.missing {
			w.log.Error("auth: cannot stat "+w.kind+" file; keeping the previous table",
				"path", w.path, "err", err)
		}
		w.missing = true
		return
	}
	w.missing = false
	if w.seen != nil && sameFileVersion(w.seen, fi) {
		return
	}
	t, readFi, err := w.read()
	if readFi != nil {
		fi = readFi
	}
	w.seen = fi
	if err != nil {
		w.log.Error("auth: cannot reload "+w.kind+" file; keeping the previous table",
			"path", w.path, "err", err)
		return
	}
	old := w.cur.Load()
	w.cur.Store(&loadedTable[T]{gen: old.gen + 1, table: t})
	w.log.Info("auth: reloaded "+w.kind+" file", "path", w.path)
}

// read parses the file. The returned FileInfo describes the opened file
// (not the path, which may have been replaced since), so a change made
// while reading shows up as a new version on the next check. It may be
// non-nil even when err is not.
func (w *watchedFile[T]) read() (*T, os.FileInfo, error) {
	f, err := os.Open(w.path)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: %s file: %w", w.kind, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("auth: %s file: %w", w.kind, err)
	}
	t, err := w.parse(f, w.path, w.log)
	if err != nil {
		return nil, fi, err
	}
	return t, fi, nil
}

// sameFileVersion reports whether a and b describe the same file (device
// and inode, or the platform's equivalent) with the same size and
// modification time.
func sameFileVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
