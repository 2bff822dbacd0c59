package redisstore

import "testing"

func TestStreamID(t *testing.T) {
	for _, s := range []string{"0-0", "1526919030474-55", "18446744073709551615-18446744073709551615"} {
		id, err := parseStreamID(s)
		if err != nil || id.String() != s {
			t.Errorf("parseStreamID(%q) = %v, %v", s, id, err)
		}
	}
	for _, bad := range []string{"", "-", "12", "12-", "-3", "a-1", "1-b", "1-2-3", "-1-2", "18446744073709551616-0"} {
		if id, err := parseStreamID(bad); err == nil {
			t.Errorf("parseStreamID(%q) = %v, want an error", bad, id)
		}
	}
	ordered := []streamID{{0, 0}, {0, 1}, {1, 0}, {1, 9}, {2, 0}}
	for i, a := range ordered {
		for j, b := range ordered {
			if got := a.before(b); got != (i < j) {
				t.Errorf("%v.before(%v) = %v", a, b, got)
			}
		}
	}
}
