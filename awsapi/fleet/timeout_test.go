package fleet

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFmtDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		60 * time.Second: "60s", time.Nanosecond: "1ns", 300 * time.Millisecond: "300ms",
		1500 * time.Millisecond: "1.5s", 2 * time.Hour: "2h", 90 * time.Minute: "1h30m",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestBounded: Bounded returns f's result, or ctx's error as soon as ctx
// ends; a result that comes after the deadline does not count; a panic in
// f is raised in the caller.
func TestBounded(t *testing.T) {
	t.Parallel()
	if v, err := Bounded(context.Background(), func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Errorf("Bounded = %d, %v", v, err)
	}
	ctx, cancel := WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	_, err := Bounded(ctx, func() (int, error) { <-release; return 1, nil })
	if !errors.Is(err, context.DeadlineExceeded) || !TimedOut(ctx) || time.Since(start) > time.Second {
		t.Errorf("err %v after %s", err, time.Since(start))
	}
	if _, err := Bounded(ctx, func() (int, error) { return 1, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a result after the deadline: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("the panic was not raised again")
			}
		}()
		Bounded(context.Background(), func() (int, error) { panic("boom") })
	}()
	// No limit: WithTimeout(0) never times out.
	ctx0, cancel0 := WithTimeout(context.Background(), 0)
	defer cancel0()
	if _, ok := ctx0.Deadline(); ok || TimedOut(ctx0) {
		t.Errorf("WithTimeout(0) has a deadline")
	}
}
