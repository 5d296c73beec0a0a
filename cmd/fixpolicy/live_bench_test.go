package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi/awstest"
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

// BenchmarkFleetMoto runs --all-buckets --check against moto with a few
// hundred buckets and reports buckets per second.
//
//	go test ./cmd/fixpolicy -run '^$' -bench FleetMoto -benchtime 3x
func BenchmarkFleetMoto(b *testing.B) {
	ep := awstest.SharedMoto(b)
	awstest.MotoEnv(b, ep)
	aws := liveClients(b, nil)
	m := awstest.Moto{Endpoint: ep}
	n := liveFleetSize()
	liveSeedFleet(b, m, n)
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				code := run(b.Context(), []string{"fixpolicy", "--all-buckets", "--check", "-o", "json", "--endpoint-url", ep, "--concurrency", strconv.Itoa(conc)},
					stdio{in: strings.NewReader(""), out: io.Discard, err: io.Discard, aws: aws, getenv: func(string) string { return "" }})
				if code != exitChanges {
					b.Fatalf("exit %d, want 2", code)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "buckets/s")
		})
	}
}

// TestFleetMoto runs the fleet path end to end against moto: --check, --yes,
// then --check again. It is skipped with -short.
func TestFleetMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ep := awstest.SharedMoto(t)
	awstest.MotoEnv(t, ep)
	h := harness{aws: liveClients(t, nil)}
	m := awstest.Moto{Endpoint: ep}
	n := 60
	liveSeedFleet(t, m, n)
	dir := t.TempDir()
	args := []string{"--all-buckets", "--endpoint-url", ep, "--backup-dir", dir}
	out, stderr, code := h.run(t, "", append(args, "--check")...)
	if code != exitChanges || !strings.Contains(out, fmt.Sprintf("Summary (%d buckets)", n)) {
		t.Fatalf("--check: exit %d\n%s", code, stderr)
	}
	start := time.Now()
	out, stderr, code = h.run(t, "", append(args, "--yes")...)
	if code != exitOK {
		t.Fatalf("--yes: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("patched %d of %d buckets in %s", 2*n/3, n, time.Since(start))
	if !strings.Contains(out, fmt.Sprintf("patched          %3d", 2*n/3)) {
		t.Errorf("summary:\n%s", out[strings.Index(out, "Summary"):])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2*n/3 {
		t.Errorf("%d liveBackups, want %d", len(entries), 2*n/3)
	}
	if _, stderr, code := h.run(t, "", append(args, "--check")...); code != exitOK {
		t.Errorf("--check after --yes: exit %d: %s", code, stderr)
	}
}
