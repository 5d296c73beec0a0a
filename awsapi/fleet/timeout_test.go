package fleet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
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

// TestLookupBound: an endpoint that never answers stops the whole look-up
// of the role and the account at --timeout, however many calls it takes
// and whatever each call's own limit, and the error names the call that
// was waiting and the bound that ran out.
func TestLookupBound(t *testing.T) {
	fs := awstest.NewFaultServer(t)
	awstest.TestEnv(t)
	fs.AddBackupRole()
	for _, c := range []struct {
		name   string
		op     string
		roleID string
	}{
		{"GetRole hangs", "iam:GetRole", ""},
		{"GetCallerIdentity hangs", "sts:GetCallerIdentity", "AROAEXAMPLEROLEID0001"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs.ClearFaults()
			fs.Fail(c.op, awstest.Fault{Delay: time.Minute})
			cl := fs.Clients(func(o *awsapi.Options) { o.CallTimeout = 30 * time.Second })
			s := NewSession(context.Background(), func(context.Context) (API, error) { return FromClients(cl), nil })
			s.Timeout = 300 * time.Millisecond
			start := time.Now()
			_, err := s.ResolveFacts(rewrite.Options{Facts: rewrite.Facts{RoleName: rewrite.DefaultRoleName, RoleID: c.roleID}})
			took := time.Since(start)
			if err == nil || took > 5*time.Second {
				t.Fatalf("err %v after %s", err, took)
			}
			want := c.op + " "
			if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "had not answered when --timeout, the bound on the look-up of the backup role and the account, ran out after 300ms") {
				t.Errorf("error %q", err)
			}
		})
	}
}
