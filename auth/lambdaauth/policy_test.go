package lambdaauth

import "testing"

func TestParseMethodARN(t *testing.T) {
	for _, c := range []struct {
		in, stage, resource string
		ok                  bool
	}{
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/reports/2024", "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/", "GET/reports/2024", true},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/", "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/", "GET/", true},
		{"arn:aws-cn:execute-api:cn-north-1:123456789012:abc/$default/POST/a:b", "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/$default/", "POST/a:b", true},
		{"arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/", "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/", "GET/", true},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET", "", "", false}, // no path
		{"arn:aws:execute-api:eu-west-1:123456789012:abc/prod", "", "", false},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc", "", "", false},
		{"arn:aws:execute-api:eu-west-1:123456789012:/prod/GET/", "", "", false},
		{"arn:aws:execute-api:eu-west-1:123456789012:abc//GET/", "", "", false},
		{"arn:aws:execute-api:eu-west-1::abc/prod/GET/", "", "", false},
		{"arn:aws:execute-api::123456789012:abc/prod/GET/", "", "", false},
		{"arn::execute-api:eu-west-1:123456789012:abc/prod/GET/", "", "", false},
		{"arn:aws:lambda:eu-west-1:123456789012:abc/prod/GET/", "", "", false},
		{"urn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/", "", "", false},
		{"", "", "", false},
	} {
		got, err := parseMethodARN(c.in)
		if (err == nil) != c.ok || got.stage != c.stage || got.resource != c.resource {
			t.Errorf("parseMethodARN(%q) = %+v, %v; want %q %q ok=%v", c.in, got, err, c.stage, c.resource, c.ok)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "GET/a/b", true},
		{"GET/*", "GET/", true},
		{"GET/*", "GET/reports/2024", true},
		{"GET/*", "POST/reports", false},
		{"GET/reports", "GET/reports", true},
		{"GET/reports", "GET/reports/", false},
		{"GET/reports", "GET/reportsX", false},
		{"GET/reports/*", "GET/reports", false},
		{"*/reports/*", "DELETE/reports/1", true},
		{"GET/r?ports", "GET/reports", true},
		{"GET/r?ports", "GET/rports", false},
		{"*a*b*c", "xxaxxbxxc", true},
		{"*a*b*c", "xxaxxbxx", false},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"", "", true},
		{"", "a", false},
		{"GET/**", "GET/x", true},
	} {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestCheckGrant(t *testing.T) {
	for _, ok := range []string{"*", "GET/", "GET/*", "*/admin/*", "OPTIONS/a?c", "DELETE/users/{id}"} {
		if err := checkGrant(ok); err != nil {
			t.Errorf("checkGrant(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "GET", "get/x", "FETCH/x", "GET//x", "GET/a b", "GET/a\tb", "GET/é", "/x", "**", "GET/" + string(make([]byte, maxGrantLen))} {
		if err := checkGrant(bad); err == nil {
			t.Errorf("checkGrant(%q) accepted", bad)
		}
	}
}
