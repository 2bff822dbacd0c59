package demo_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/examples/internal/demo"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// load is demo.Load with a state directory of the test's own, closed when
// the test ends.
func load(t *testing.T, vars map[string]string, out *bytes.Buffer) (demo.Config, error) {
	all := map[string]string{"STATE_DIR": t.TempDir()}
	for k, v := range vars {
		all[k] = v
	}
	cfg, err := demo.Load(env(all), out)
	t.Cleanup(func() { cfg.Close() })
	return cfg, err
}

// TestSessionSecret: a guessable SESSION_SECRET stops the demo with a
// message that says how to make one (finding 2 of issue 12: the demo's
// secret was found offline by a dictionary); without one, the warning
// says the same; a random one is taken.
func TestSessionSecret(t *testing.T) {
	const weak = "summer-dashboard-cookie2025"
	var out bytes.Buffer
	_, err := load(t, map[string]string{"SESSION_SECRET": weak}, &out)
	if !errors.Is(err, auth.ErrWeakSecret) || !strings.Contains(err.Error(), `export SESSION_SECRET="$(openssl rand -base64 32)"`) {
		t.Fatalf("weak SESSION_SECRET: %v", err)
	}
	if strings.Contains(err.Error(), weak) {
		t.Fatalf("the error quotes the secret: %v", err)
	}

	out.Reset()
	if _, err := load(t, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SESSION_SECRET is not set") || !strings.Contains(out.String(), "openssl rand -base64 32") {
		t.Fatalf("no SESSION_SECRET: the log says %q", out.String())
	}

	out.Reset()
	if _, err := load(t, map[string]string{"SESSION_SECRET": "xJdxg2ZL9GhwcK8qdi1yWBO9svwHn0HZPbXwqywPLzM="}, &out); err != nil {
		t.Fatalf("random SESSION_SECRET: %v", err)
	}
}
