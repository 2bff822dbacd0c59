package auth

import (
	"fmt"
	"testing"
)

// BenchmarkRequirementCheck measures a group rule on identities with
// many groups: InGroup scans them, which costs with the group count.
func BenchmarkRequirementCheck(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		groups := make([]string, n)
		for i := range groups {
			groups[i] = fmt.Sprintf("group-%04d", i)
		}
		id := newIdentity("u", "basic", groups)
		for _, rule := range []struct {
			name string
			req  Requirement
		}{
			{"OneOf_last", OneOf(groups[n-1])},
			{"NoneOf_absent", NoneOf("blocked")},
			{"AllOf_3", AllOf(groups[0], groups[n/2], groups[n-1])},
		} {
			b.Run(fmt.Sprintf("%s/groups=%d", rule.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if rule.req.Check(id) != DecisionAllow {
						b.Fatal("not allowed")
					}
				}
			})
		}
	}
}
