package demo_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if base, ok := os.LookupEnv(floodBaseEnv); ok {
		os.Exit(runFlood(base))
	}
	goleak.VerifyTestMain(m)
}
