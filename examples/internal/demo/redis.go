package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth/redisstore"
)

// redisClient builds the Redis client the environment asks for, or nil
// when it asks for none. One of three ways, never two:
//
//   - REDIS_URL (redis://[user:password@]host:port/db): one server;
//   - REDIS_SENTINEL_ADDRS (host:port of each sentinel, comma-separated)
//     with REDIS_SENTINEL_MASTER (the master's name in the sentinels'
//     configuration): the master the sentinels name, followed through
//     failovers; REDIS_SENTINEL_PASSWORD if the sentinels want one;
//   - REDIS_CLUSTER_ADDRS (host:port of some of the nodes,
//     comma-separated): a Redis Cluster.
//
// With the last two, REDIS_USERNAME and REDIS_PASSWORD are the data
// nodes' credentials (REDIS_URL carries its own). It also returns what
// the client reaches, for messages.
func redisClient(getenv func(string) string) (redis.UniversalClient, string, error) {
	url := getenv("REDIS_URL")
	sentinels, master := commaList(getenv("REDIS_SENTINEL_ADDRS")), getenv("REDIS_SENTINEL_MASTER")
	cluster := commaList(getenv("REDIS_CLUSTER_ADDRS"))
	set := 0
	for _, on := range []bool{url != "", len(sentinels) > 0 || master != "", len(cluster) > 0} {
		if on {
			set++
		}
	}
	switch {
	case set == 0:
		return nil, "", nil
	case set > 1:
		return nil, "", fmt.Errorf("set one of REDIS_URL, REDIS_SENTINEL_ADDRS (with REDIS_SENTINEL_MASTER) and REDIS_CLUSTER_ADDRS, not several")
	case url != "":
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, "", fmt.Errorf("REDIS_URL: %w", err)
		}
		return redis.NewClient(opt), "Redis at " + opt.Addr, nil
	case len(cluster) > 0:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:    cluster,
			Username: getenv("REDIS_USERNAME"),
			Password: getenv("REDIS_PASSWORD"),
		}), "the Redis Cluster at " + strings.Join(cluster, ","), nil
	case len(sentinels) == 0 || master == "":
		return nil, "", errors.New("REDIS_SENTINEL_ADDRS and REDIS_SENTINEL_MASTER go together: set both")
	default:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       master,
			SentinelAddrs:    sentinels,
			SentinelPassword: getenv("REDIS_SENTINEL_PASSWORD"),
			Username:         getenv("REDIS_USERNAME"),
			Password:         getenv("REDIS_PASSWORD"),
		}), fmt.Sprintf("Redis master %q through the sentinels at %s", master, strings.Join(sentinels, ",")), nil
	}
}

// openRedis checks that rdb answers and returns a Store on it, which
// logs to log, and the function that closes rdb.
func openRedis(rdb redis.UniversalClient, what string, log *slog.Logger) (*redisstore.Store, func() error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("cannot reach %s: %w", what, err)
	}
	return redisstore.New(rdb, redisstore.Config{Logger: log}), rdb.Close, nil
}
