package auth

import "testing"

func TestRequirements(t *testing.T) {
	admin := newIdentity("a", "basic", []string{"ops", "admin"})
	viewer := newIdentity("v", "basic", []string{"viewer"})
	nobody := newIdentity("n", "basic", nil)
	tests := []struct {
		name string
		req  Requirement
		id   *Identity
		want Decision
	}{
		{"OneOf anonymous", OneOf("admin"), nil, DecisionUnauthenticated},
		{"OneOf member", OneOf("admin"), admin, DecisionAllow},
		{"OneOf second group", OneOf("x", "viewer"), viewer, DecisionAllow},
		{"OneOf non-member", OneOf("admin"), viewer, DecisionForbidden},
		{"OneOf empty denies", OneOf(), admin, DecisionForbidden},
		{"AllOf all", AllOf("admin", "ops"), admin, DecisionAllow},
		{"AllOf missing one", AllOf("admin", "viewer"), admin, DecisionForbidden},
		{"AllOf empty allows", AllOf(), nobody, DecisionAllow},
		{"AllOf empty anonymous", AllOf(), nil, DecisionUnauthenticated},
		{"NoneOf clean", NoneOf("banned"), viewer, DecisionAllow},
		{"NoneOf member", NoneOf("viewer", "banned"), viewer, DecisionForbidden},
		{"NoneOf empty allows", NoneOf(), nobody, DecisionAllow},
		{"NoneOf anonymous", NoneOf("x"), nil, DecisionUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.req.Check(tt.id); got != tt.want {
				t.Fatalf("%v.Check = %v, want %v", tt.req, got, tt.want)
			}
		})
	}
}

func TestCheckAll(t *testing.T) {
	admin := newIdentity("a", "basic", []string{"admin"})
	if got := checkAll(nil, nil); got != DecisionUnauthenticated {
		t.Fatalf("anonymous with no rules = %v", got)
	}
	if got := checkAll(admin, nil); got != DecisionAllow {
		t.Fatalf("authenticated with no rules = %v", got)
	}
	if got := checkAll(admin, []Requirement{OneOf("admin"), NoneOf("admin")}); got != DecisionForbidden {
		t.Fatalf("contradictory rules = %v", got)
	}
}

func TestRequirementString(t *testing.T) {
	if s := OneOf("admin", "ops").(interface{ String() string }).String(); s != `OneOf("admin", "ops")` {
		t.Fatalf("String = %s", s)
	}
}

func TestIdentityGroupsSortedAndDeduplicated(t *testing.T) {
	id := newIdentity("u", "basic", []string{"b", "a", "b"})
	if len(id.Groups) != 2 || id.Groups[0] != "a" || id.Groups[1] != "b" {
		t.Fatalf("groups = %v", id.Groups)
	}
	c := id.Clone()
	c.Groups[0] = "z"
	if id.Groups[0] != "a" {
		t.Fatal("Clone shares the groups slice")
	}
}
