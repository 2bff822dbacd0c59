package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// StepTimeout bounds one action run by [Do] or [Poll]. It is a safety net
// against a hung browser, not a measure of speed.
const StepTimeout = 20 * time.Second

// Do runs one chromedp action on the tab, within StepTimeout, and fails t
// if it fails.
func Do[T any](t testing.TB, tab context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Poll evaluates the JavaScript expression expr on the tab every 20 ms
// until it is truthy and returns its value; it fails t if that does not
// happen within StepTimeout.
func Poll[T any](t testing.TB, tab context.Context, expr string) T {
	t.Helper()
	return Do(t, tab, chromedp.Poll[T](expr, chromedp.WithPollingInterval(20*time.Millisecond)))
}
