package redisstore_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// safetyNet bounds waits that only a broken test would reach.
const safetyNet = 20 * time.Second
