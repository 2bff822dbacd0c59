package demo_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/authwire/authwire/internal/servetest"
)

// TestRedisSettings: the demo takes one Redis, through REDIS_URL,
// Sentinel (REDIS_SENTINEL_ADDRS with REDIS_SENTINEL_MASTER) or Cluster
// (REDIS_CLUSTER_ADDRS), and says what is wrong with anything else; a
// plain server named as sentinels or as a cluster is found out at start.
func TestRedisSettings(t *testing.T) {
	srv := servetest.Redis(t)
	for _, c := range []struct {
		vars map[string]string
		want string // in the error; "" for none
	}{
		{map[string]string{"REDIS_URL": "redis://" + srv.Addr + "/0"}, ""},
		{map[string]string{"REDIS_URL": "http://" + srv.Addr}, "REDIS_URL"},
		{map[string]string{"REDIS_URL": "redis://" + srv.Addr, "REDIS_CLUSTER_ADDRS": srv.Addr}, "set one of"},
		{map[string]string{"REDIS_SENTINEL_ADDRS": srv.Addr, "REDIS_CLUSTER_ADDRS": srv.Addr}, "set one of"},
		{map[string]string{"REDIS_SENTINEL_ADDRS": srv.Addr}, "REDIS_SENTINEL_MASTER go together"},
		{map[string]string{"REDIS_SENTINEL_MASTER": "mymaster"}, "REDIS_SENTINEL_MASTER go together"},
		{map[string]string{"REDIS_SENTINEL_ADDRS": " , " + srv.Addr, "REDIS_SENTINEL_MASTER": "mymaster"}, `cannot reach Redis master "mymaster" through the sentinels at ` + srv.Addr},
		{map[string]string{"REDIS_CLUSTER_ADDRS": srv.Addr + ",127.0.0.1:1"}, "cannot reach the Redis Cluster at " + srv.Addr + ",127.0.0.1:1"},
	} {
		var out bytes.Buffer
		cfg, err := load(t, c.vars, &out)
		switch {
		case c.want == "" && (err != nil || cfg.Redis == nil):
			t.Errorf("%v: %v, Redis %v", c.vars, err, cfg.Redis)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: %v, want an error saying %q", c.vars, err, c.want)
		}
	}
}
