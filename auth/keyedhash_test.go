package auth

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestKeyedHash(t *testing.T) {
	k1, err := newKeyedHash()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := newKeyedHash()
	if err != nil {
		t.Fatal(err)
	}
	h := "Basic YWRtaW46YWRtaW4="
	if k1.sumString(h) != k1.sumString(strings.Clone(h)) {
		t.Error("the same header gave two tags under one key")
	}
	if k1.sumString(h) == k2.sumString(h) {
		t.Error("two random keys gave the same tag")
	}
	if k1.sumString(h) == k1.sumString(h+"x") {
		t.Error("different headers gave the same tag")
	}
	// sumPair tags the length-prefixed join, on the stack or, for long
	// credentials, on the heap.
	for _, n := range []int{0, 10, 300} {
		user, password := []byte("alice"), []byte(strings.Repeat("p", n))
		joined := binary.BigEndian.AppendUint32(nil, uint32(len(user)))
		joined = append(append(joined, user...), password...)
		if got, want := k1.sumPair(user, password), k1.sumString(string(joined)); got != want {
			t.Errorf("password of %d bytes: sumPair %x, tag of the join %x", n, got, want)
		}
	}
	if k1.sumPair([]byte("ab"), []byte("c")) == k1.sumPair([]byte("a"), []byte("bc")) {
		t.Error("the user/password boundary is not part of the tag")
	}
}
