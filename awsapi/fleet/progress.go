package fleet

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress is a one-line progress bar on standard error, used only when
// standard error is a terminal. A nil *progress does nothing.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	n, of int
	start time.Time
}

func newProgress(w io.Writer, of int) *progress {
	p := &progress{w: w, of: of, start: time.Now()}
	p.draw()
	return p
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.n += n
	p.mu.Unlock()
	p.draw()
}

func (p *progress) line() string {
	const width = 30
	fill := 0
	if p.of > 0 {
		fill = p.n * width / p.of
	}
	rate := ""
	if el := time.Since(p.start).Seconds(); el > 0.5 && p.n > 0 {
		rate = fmt.Sprintf(" %.0f/s", float64(p.n)/el)
	}
	return fmt.Sprintf("\r[%s%s] %d/%d buckets%s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.n, p.of, rate)
}

func (p *progress) draw() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, p.line())
}

func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}

func (p *progress) done() {
	if p == nil {
		return
	}
	p.clear()
}
