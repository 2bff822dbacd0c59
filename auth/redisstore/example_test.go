package redisstore_test

import (
	"context"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/auth/redisstore"
)

// Share sessions, logouts, session lists and brute-force counters between
// the processes of one application, and close a session's WebSockets in
// every process when it ends in any.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	store := redisstore.New(rdb, redisstore.Config{})
	reg, err := store.Regulator(auth.DefaultRegulationPolicy())
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"alice": "alice-pw"}),
		auth.WithSessions(auth.SessionConfig{Store: store, Revocations: store}),
		auth.WithRegulator(reg),
	)
	if err != nil {
		log.Fatal(err)
	}
	go store.ApplyRevocations(ctx, a)
	log.Fatal(http.ListenAndServe("127.0.0.1:8050", a.Handler()))
}
