package awstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// RequireMotoEnv, when set to 1, turns a missing moto_server into a test failure.
const RequireMotoEnv = "FIXPOLICY_REQUIRE_MOTO"

const motoMissing = "moto_server not found: pip install 'moto[server]' (set FIXPOLICY_REQUIRE_MOTO=1 to make this a failure)"

// motoStartTimeout bounds how long moto may take to answer. It usually takes 1-3 s,
// but over 10 s was seen on a loaded 2-CPU machine.
const motoStartTimeout = 30 * time.Second

var errNoMoto = errors.New(motoMissing)

// motoProc is one running moto_server.
type motoProc struct {
	endpoint string
	cmd      *exec.Cmd
	stdin    *os.File // closing it makes the watchdog shell stop moto
	done     chan struct{}
	log      *tailBuffer
	stopOnce sync.Once
}

// StartMoto starts a moto_server of its own on a free 127.0.0.1 port, waits until
// it answers, and stops it (its whole process group) when the test ends. It sets
// nothing global; use MotoEnv or awsapi.Options.EndpointURL to point clients at the
// returned endpoint ("http://127.0.0.1:PORT").
//
// Without moto_server on PATH the test is skipped, or fails when
// FIXPOLICY_REQUIRE_MOTO=1.
func StartMoto(t testing.TB) string {
	t.Helper()
	p, err := startMoto()
	if err != nil {
		motoFail(t, err)
	}
	t.Cleanup(p.stop)
	return p.endpoint
}

var shared struct {
	mu      sync.Mutex
	started bool
	p       *motoProc
	err     error
}

// SharedMoto returns the endpoint of one moto_server shared by the whole test
// binary, started on first use. Tests that need a clean state call Moto.Reset
// (or use names of their own). Stop it from TestMain with StopSharedMoto; if that
// is not done, moto still exits when the test binary does (a watchdog shell
// waits on a pipe from it).
func SharedMoto(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	if !shared.started {
		shared.p, shared.err = startMoto()
		shared.started = true
	}
	p, err := shared.p, shared.err
	shared.mu.Unlock()
	if err != nil {
		motoFail(t, err)
	}
	return p.endpoint
}

// StopSharedMoto stops the shared moto_server, if one was started; a later
// SharedMoto starts a new one.
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		awstest.StopSharedMoto()
//		os.Exit(code)
//	}
func StopSharedMoto() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.p != nil {
		shared.p.stop()
	}
	shared.started, shared.p, shared.err = false, nil, nil
}

func motoFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoMoto) {
		if os.Getenv(RequireMotoEnv) == "1" {
			t.Fatal(motoMissing)
		}
		t.Skip(motoMissing)
	}
	t.Fatalf("starting moto_server: %v", err)
}

func startMoto() (*motoProc, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errNoMoto
	}
	var lastErr error
	for range 3 { // a free port may be taken between picking and binding it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p, err := launchMoto(bin, port)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// watchdog runs moto in the background and kills it as soon as its standard input
// (a pipe held by the test binary) reaches EOF: at stop, or if the binary dies.
const watchdog = `"$0" -H 127.0.0.1 -p "$1" & pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT HUP
read _ignored
kill $pid 2>/dev/null
wait $pid`

func launchMoto(bin string, port int) (*motoProc, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	log := &tailBuffer{max: 8 << 10}
	cmd := exec.Command("/bin/sh", "-c", watchdog, bin, strconv.Itoa(port))
	cmd.Stdin = r
	// moto loads AWS managed policies (AWSBackupServiceRolePolicyForS3Backup,
	// ...) only when asked; doctor --fix attaches them.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	cmd.Stdout = log
	cmd.Stderr = log
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	r.Close()
	p := &motoProc{endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, stdin: w, done: make(chan struct{}), log: log}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(motoStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return nil, fmt.Errorf("moto_server exited early: %s", log.String())
		default:
		}
		resp, err := client.Get(p.endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within %s: %s", p.endpoint, motoStartTimeout, log.String())
}

func (p *motoProc) stop() {
	p.stopOnce.Do(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
		}
		killProcessGroup(p.cmd) // whatever is left of the group
		<-p.done
	})
}

// tailBuffer keeps the last max bytes written to it (moto logs every request).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf))
}

// ResetMoto wipes all of moto's state (POST /moto-api/reset).
func ResetMoto(t testing.TB, endpoint string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint+"/moto-api/reset", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := LoopbackHTTPClient(t).Do(req)
	if err != nil {
		t.Fatalf("resetting moto: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("resetting moto: HTTP %d", resp.StatusCode)
	}
}
