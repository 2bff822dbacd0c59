package boltstore

import "sync"

// knownRefs remembers, by session ID, the cookie reference of each
// session this process gave out or loaded a cookie for, so that saving a
// session again keeps its cookie. The file holds only the references'
// hashes; this is the one place a reference is kept, and only in memory.
// An entry is trusted only once its hash matches the file's record.
type knownRefs struct {
	mu  sync.Mutex
	ref map[string]string
}

func newKnownRefs() *knownRefs { return &knownRefs{ref: make(map[string]string)} }

// get returns session id's reference, or "".
func (k *knownRefs) get(id string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ref[id]
}

// put sets session id's reference.
func (k *knownRefs) put(id, ref string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ref[id] = ref
}

// add sets session id's reference unless one is known, and reports
// whether it did.
func (k *knownRefs) add(id, ref string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.ref[id]; ok {
		return false
	}
	k.ref[id] = ref
	return true
}

// forget drops the references of sessions ids.
func (k *knownRefs) forget(ids ...string) {
	if len(ids) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		delete(k.ref, id)
	}
}

// forgetIf drops session id's reference if it is still ref.
func (k *knownRefs) forgetIf(id, ref string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ref[id] == ref {
		delete(k.ref, id)
	}
}
