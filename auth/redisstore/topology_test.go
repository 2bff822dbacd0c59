package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
	"github.com/authwire/authwire/internal/servetest"
	"github.com/authwire/authwire/internal/testbin"
)

// exercise runs the Store's checks on rdb, as two processes sharing it:
// sessions saved by one load in the other, a revocation by one is
// revoked for the other and reaches its watcher, a user's revocation and
// the session index are shared, and the regulator's scripts count
// attempts across both. It returns the two Stores, the
// first one watched.
func exercise(t *testing.T, rdb redis.UniversalClient) (*redisstore.Store, *redisstore.Store, *watching) {
	t.Helper()
	ctx := context.Background()
	a, b := redisstore.New(rdb, redisstore.Config{}), redisstore.New(rdb, redisstore.Config{})
	w := watch(t, a)
	w.Ready(t, b)

	now := time.Now()
	for i := range 20 {
		sess := &auth.Session{ID: randomID(t), User: fmt.Sprintf("user%d", i), IssuedAt: now.Unix(), LastSeen: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}
		if _, err := b.Save(ctx, sess); err != nil {
			t.Fatalf("Save: %v", err)
		}
		if got, err := a.Load(ctx, sess.ID); err != nil || got.User != sess.User {
			t.Fatalf("Load: %+v %v", got, err)
		}
	}
	id := randomID(t)
	revoke(t, b, id)
	if revoked, err := a.Revoked(ctx, id); err != nil || !revoked {
		t.Fatalf("Revoked: %v %v", revoked, err)
	}
	w.Expect(t, id)

	// A user's revocation, and the session index.
	at := now.Truncate(time.Second)
	if err := b.RevokeUser(ctx, "mallory", at, at.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeUser: %v", err)
	}
	for issued, want := range map[time.Time]bool{at: true, at.Add(time.Second): false} {
		if got, err := a.SessionRevoked(ctx, randomID(t), "mallory", issued); err != nil || got != want {
			t.Fatalf("SessionRevoked: %v %v, want %v", got, err, want)
		}
	}
	if got, err := a.SessionRevoked(ctx, id, "bob", at); err != nil || !got {
		t.Fatalf("SessionRevoked of a revoked session: %v %v", got, err)
	}
	rec := auth.SessionRecord{ID: randomID(t), User: "mallory", Provider: "oidc", ProviderSession: "sid",
		Created: at, LastSeen: at, Expires: at.Add(time.Hour)}
	if err := b.Put(ctx, rec); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if recs, err := a.List(ctx, "mallory"); err != nil || len(recs) != 1 || recs[0].ID != rec.ID {
		t.Fatalf("List: %+v %v", recs, err)
	}
	if recs, err := a.Find(ctx, "oidc", "sid"); err != nil || len(recs) != 1 || recs[0].ID != rec.ID {
		t.Fatalf("Find: %+v %v", recs, err)
	}
	if err := a.Remove(ctx, "mallory", rec.ID); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if recs, err := b.List(ctx, "mallory"); err != nil || len(recs) != 0 {
		t.Fatalf("List after Remove: %+v %v", recs, err)
	}

	policy := auth.RegulationPolicy{MaxFailures: 2, Window: time.Minute, BanTime: time.Minute}
	r1, _ := a.Regulator(policy)
	r2, _ := b.Regulator(policy)
	regAttempt(t, r1, "user:alice", true, false)
	regAttempt(t, r2, "user:alice", true, true)
	regBanned(t, r1, "user:alice", true)
	regRefund(t, r1, "user:alice")
	regBanned(t, r2, "user:alice", false)
	return a, b, w
}

// TestSentinel runs the Store through Redis Sentinel (a master, its
// replica, one sentinel), then kills the master with SIGKILL: the
// sentinel promotes the replica, and the Store goes on with the same
// sessions, its watcher delivering the revocations made after the
// failover.
func TestSentinel(t *testing.T) {
	master := startRedis(t)
	_, masterPort, _ := net.SplitHostPort(master.Addr)
	replica := startRedis(t, "--replicaof", "127.0.0.1", masterPort)
	_, replicaPort, _ := net.SplitHostPort(replica.Addr)
	sentinel := startSentinel(t, master.Addr)
	ctx := context.Background()

	// The sentinel fails over only to a replica it knows of.
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel.Addr})
	t.Cleanup(func() { sc.Close() })
	deadline := time.Now().Add(safetyNet)
	for {
		replicas, err := sc.Replicas(ctx, "mymaster").Result()
		if err == nil && len(replicas) == 1 && replicas[0]["port"] == replicaPort && replicas[0]["flags"] == "slave" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinel does not know the replica: %v %v", replicas, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{sentinel.Addr}, MasterName: "mymaster", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	if _, ok := rdb.(*redis.Client); !ok {
		t.Fatalf("UniversalOptions with MasterName made a %T, want a failover *redis.Client", rdb)
	}
	a, b, w := exercise(t, rdb)

	// A session, replicated before the master dies.
	now := time.Now()
	sess := &auth.Session{ID: randomID(t), User: "carol", IssuedAt: now.Unix(), LastSeen: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()}
	if _, err := b.Save(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.(*redis.Client).Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d replicas (%v)", n, err)
	}
	master.Kill()

	// Once the replica is master, the session is there and a revocation
	// reaches the watcher.
	deadline = time.Now().Add(3 * safetyNet)
	for {
		got, err := a.Load(ctx, sess.ID)
		if err == nil {
			if got.User != "carol" {
				t.Fatalf("after the failover the session is %+v", got)
			}
			break
		}
		if errors.Is(err, auth.ErrNoSession) {
			t.Fatal("the session was lost in the failover")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if role := replicaRole(t, replica); role != "master" {
		t.Fatalf("the session loads, but the replica is %s", role)
	}
	id := randomID(t)
	for {
		err := b.Revoke(ctx, id, time.Now().Add(time.Hour))
		if err == nil {
			break
		}
		// The client may still hold a connection to the master that
		// has just become a replica ("READONLY"): it moves on by itself.
		if time.Now().After(deadline) {
			t.Fatalf("Revoke after the failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.Expect(t, id)
}

// replicaRole is the role (master, slave) that srv has now.
func replicaRole(t *testing.T, srv *redisProc) string {
	t.Helper()
	res, err := srv.Client(t).Do(context.Background(), "ROLE").Slice()
	if err != nil || len(res) == 0 {
		t.Fatalf("ROLE: %v %v", res, err)
	}
	role, _ := res[0].(string)
	return role
}

// startSentinel runs a redis-server as a sentinel (its config file
// written into its own directory) that watches the master at addr,
// named "mymaster", which it takes for down after a second.
func startSentinel(t *testing.T, master string) *redisProc {
	t.Helper()
	host, port, _ := net.SplitHostPort(master)
	p := &redisProc{t: t, bin: testbin.Find(t, "redis-server", "redis-server"), Addr: servetest.FreeAddr(t), Dir: t.TempDir()}
	_, own, _ := net.SplitHostPort(p.Addr)
	conf := filepath.Join(p.Dir, "sentinel.conf")
	text := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nloglevel warning\n"+
		"sentinel monitor mymaster %s %s 1\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n",
		own, p.Dir, host, port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p.run(conf, "--sentinel")
	t.Cleanup(p.Kill)
	waitPing(t, p.Addr)
	return p
}

// TestCluster runs the Store on a Redis Cluster of three masters, the
// slots split between them: every script and command is one slot's (a
// cross-slot one fails with CROSSSLOT), the keys spread over the nodes,
// and the keys one script writes share a slot.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	var nodes []*redisProc
	var buses []string
	for range 3 {
		bus := servetest.FreeAddr(t)
		_, busPort, _ := net.SplitHostPort(bus)
		nodes = append(nodes, startRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", busPort, "--cluster-node-timeout", "5000"))
		buses = append(buses, busPort)
	}
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var addrs []string
	for i, n := range nodes {
		c := n.Client(t)
		if err := c.ClusterAddSlotsRange(ctx, ranges[i][0], ranges[i][1]).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(n.Addr)
			if err := nodes[0].Client(t).Do(ctx, "CLUSTER", "MEET", host, port, buses[i]).Err(); err != nil {
				t.Fatalf("CLUSTER MEET: %v", err)
			}
		}
		addrs = append(addrs, n.Addr)
	}
	deadline := time.Now().Add(3 * safetyNet)
	for _, n := range nodes {
		c := n.Client(t)
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cluster never came up: %q %v", info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("UniversalOptions with three Addrs made a %T, want a *redis.ClusterClient", rdb)
	}
	exercise(t, rdb)

	var holding atomic.Int32
	if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		if n, err := c.DBSize(ctx).Result(); err != nil {
			return err
		} else if n > 0 {
			holding.Add(1)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if holding.Load() < 2 {
		t.Fatalf("the keys are on %d node(s) of 3, want them spread", holding.Load())
	}
	slot := func(key string) int64 { return cc.ClusterKeySlot(ctx, key).Val() }
	id := randomID(t)
	if slot("authwire:{r}:"+id) != slot("authwire:{r}:revocations") {
		t.Error("a revocation's mark and the stream are in different slots")
	}
	if slot("authwire:rl:{0123abcd}:f") != slot("authwire:rl:{0123abcd}:b") {
		t.Error("a regulation key's count and ban are in different slots")
	}
	if slot("authwire:{r}:u:"+hashHex("mallory")) != slot("authwire:{r}:revocations") {
		t.Error("a user's revocation and the stream are in different slots")
	}
	if slot("authwire:ix:{"+hashHex("mallory")+"}:d") != slot("authwire:ix:{"+hashHex("mallory")+"}:e") {
		t.Error("a user's index keys are in different slots")
	}
}
