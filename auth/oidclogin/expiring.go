package oidclogin

import "time"

// expiring is a bounded map whose entries lapse at a time of their own:
// what the in-memory ReplayCache and TokenStore keep. It is not safe for
// concurrent use; its owner holds a lock.
type expiring[V any] struct {
	max     int
	entries map[string]expiringEntry[V]
}

type expiringEntry[V any] struct {
	value V
	until time.Time
}

func newExpiring[V any](max int) expiring[V] {
	return expiring[V]{max: max, entries: make(map[string]expiringEntry[V])}
}

// get returns key's value unless it is missing or has lapsed at now.
func (e *expiring[V]) get(key string, now time.Time) (V, bool) {
	v, ok := e.entries[key]
	if !ok || !now.Before(v.until) {
		var zero V
		return zero, false
	}
	return v.value, true
}

// put keeps value under key until until. A new key in a full map first
// drops the entries that have lapsed at now; put reports false, and keeps
// nothing, when none had.
func (e *expiring[V]) put(key string, value V, until, now time.Time) bool {
	if _, ok := e.entries[key]; !ok && len(e.entries) >= e.max {
		for k, v := range e.entries {
			if !now.Before(v.until) {
				delete(e.entries, k)
			}
		}
		if len(e.entries) >= e.max {
			return false
		}
	}
	e.entries[key] = expiringEntry[V]{value: value, until: until}
	return true
}

// delete forgets key.
func (e *expiring[V]) delete(key string) { delete(e.entries, key) }
