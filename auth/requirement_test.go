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
		{"OneOf anonymous", OneOf("admin"), nil, Unauthenticated},
		{"OneOf member", OneOf("admin"), admin, Allow},
		{"OneOf second group", OneOf("x", "viewer"), viewer, Allow},
		{"OneOf non-member", OneOf("admin"), viewer, Forbidden},
		{"OneOf empty denies", OneOf(), admin, Forbidden},
		{"AllOf all", AllOf("admin", "ops"), admin, Allow},
		{"AllOf missing one", AllOf("admin", "viewer"), admin, Forbidden},
		{"AllOf empty allows", AllOf(), nobody, Allow},
		{"AllOf empty anonymous", AllOf(), nil, Unauthenticated},
		{"NoneOf clean", NoneOf("banned"), viewer, Allow},
		{"NoneOf member", NoneOf("viewer", "banned"), viewer, Forbidden},
		{"NoneOf empty allows", NoneOf(), nobody, Allow},
		{"NoneOf anonymous", NoneOf("x"), nil, Unauthenticated},
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
	if got := checkAll(nil, nil); got != Unauthenticated {
		t.Fatalf("anonymous with no rules = %v", got)
	}
	if got := checkAll(admin, nil); got != Allow {
		t.Fatalf("authenticated with no rules = %v", got)
	}
	if got := checkAll(admin, []Requirement{OneOf("admin"), NoneOf("admin")}); got != Forbidden {
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
