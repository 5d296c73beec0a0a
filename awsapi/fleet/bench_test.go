package fleet

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
)

// liveFleetSize is how many buckets the fleet benchmark creates in moto
// (FIXPOLICY_FLEET_BUCKETS overrides it).
func liveFleetSize() int {
	if n, err := strconv.Atoi(os.Getenv("FIXPOLICY_FLEET_BUCKETS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// liveSeedFleet wipes moto and creates n buckets, a third of them with the seed
// 000 policy, a third with the seed 001 policy and a third without a policy.
func liveSeedFleet(tb testing.TB, m awstest.Moto, n int) {
	tb.Helper()
	m.Reset(tb)
	m.CreateBackupRole(tb)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := fmt.Sprintf("fleet-bench-%04d", i)
			m.CreateBucket(tb, name, "")
			switch i % 3 {
			case 0:
				m.PutBucketPolicy(tb, name, liveSeedPolicy(tb, "seed000-vpce-only", name))
			case 1:
				m.PutBucketPolicy(tb, name, liveSeedPolicy(tb, "seed001-office-ip", name))
			}
		}()
	}
	wg.Wait()
}

// motoEnv is a run environment pointed at the shared moto.
func motoEnv(tb testing.TB, ep, dir string) *env {
	hc := awstest.LoopbackHTTPClient(tb)
	return &env{opts: func() awsapi.Options { return awsapi.Options{EndpointURL: ep, HTTPClient: hc} }, dir: dir}
}

// BenchmarkFleetMoto checks every bucket of moto (a few hundred) and
// reports buckets per second.
//
//	go test ./awsapi/fleet -run '^$' -bench FleetMoto -benchtime 3x
func BenchmarkFleetMoto(b *testing.B) {
	ep := awstest.SharedMoto(b)
	awstest.MotoEnv(b, ep)
	e := motoEnv(b, ep, b.TempDir())
	m := awstest.Moto{Endpoint: ep}
	n := liveFleetSize()
	liveSeedFleet(b, m, n)
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if res := e.run(b, b.Context(), runArgs{all: true, mode: Check, concurrency: conc}); res.code != ExitChanges {
					b.Fatalf("exit %d, want 2: %s", res.code, res.msg())
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "buckets/s")
		})
	}
}

// TestFleetMoto runs the fleet path end to end against moto: check, yes,
// then check again. It is skipped with -short.
func TestFleetMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ep := awstest.SharedMoto(t)
	awstest.MotoEnv(t, ep)
	dir := t.TempDir()
	e := motoEnv(t, ep, dir)
	m := awstest.Moto{Endpoint: ep}
	n := 60
	liveSeedFleet(t, m, n)
	ctx := context.Background()
	res := e.run(t, ctx, runArgs{all: true, mode: Check})
	if res.code != ExitChanges || len(res.list) != n || !strings.Contains(res.text(t), fmt.Sprintf("Summary (%d buckets)", n)) {
		t.Fatalf("check: exit %d, %d reports: %s", res.code, len(res.list), res.msg())
	}
	start := time.Now()
	res = e.run(t, ctx, runArgs{all: true, yes: true})
	if res.code != ExitOK {
		t.Fatalf("yes: exit %d\n%s", res.code, res.msg())
	}
	t.Logf("patched %d of %d buckets in %s", 2*n/3, n, time.Since(start))
	if out := res.text(t); !strings.Contains(out, fmt.Sprintf("patched          %3d", 2*n/3)) {
		t.Errorf("summary:\n%s", out[strings.Index(out, "Summary"):])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2*n/3 {
		t.Errorf("%d liveBackups, want %d", len(entries), 2*n/3)
	}
	if res := e.run(t, ctx, runArgs{all: true, mode: Check}); res.code != ExitOK {
		t.Errorf("check after yes: exit %d: %s", res.code, res.msg())
	}
}
