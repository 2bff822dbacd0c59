package redisstore

import (
	"fmt"
	"strconv"
	"strings"
)

// streamID is the ID of a Redis stream entry, "<ms>-<seq>": the time of
// Redis's clock it was added at, and a sequence number within that
// millisecond. IDs only grow along a stream; the zero streamID, "0-0",
// comes before every entry.
type streamID struct{ ms, seq uint64 }

// parseStreamID reads an ID as Redis writes it.
func parseStreamID(s string) (streamID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if ok {
		m, err1 := strconv.ParseUint(ms, 10, 64)
		q, err2 := strconv.ParseUint(seq, 10, 64)
		if err1 == nil && err2 == nil {
			return streamID{m, q}, nil
		}
	}
	return streamID{}, fmt.Errorf("redisstore: %q is not a stream entry ID", s)
}

// String is the ID as Redis writes it.
func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

// before reports whether id comes before other in a stream.
func (id streamID) before(other streamID) bool {
	return id.ms < other.ms || id.ms == other.ms && id.seq < other.seq
}
