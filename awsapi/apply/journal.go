package apply

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ErrInterrupted is the error of a write refused because the run was
// interrupted ([Journal.Interrupted] was called).
var ErrInterrupted = errors.New("interrupted")

// writeState is how far one write got.
type writeState int

const (
	wsSaved     writeState = iota // the original is saved; the target is unchanged
	wsSent                        // PutBucketPolicy sent: the outcome is unknown
	wsWritten                     // written
	wsUnchanged                   // the write failed and the target is known to be unchanged
)

// A write is one target the run writes to.
type write struct {
	target string // "s3://bucket" or a file path
	bucket string // for buckets (and the bucket a KMS key encrypts)
	key    string // for KMS key policies: the key's ARN
	check  string // for other settings: the command that shows the setting
	backup string // where the original is saved ("" for none)
	what   string // "patched", "restored", "rewritten"
	state  writeState
}

// Journal records a run's writes, so that an interrupt (Ctrl-C, SIGTERM) can
// say in one line what was written. After [Journal.Interrupted], no write may
// start: local writes run under the journal's lock, so they are whole or
// absent; a PutBucketPolicy already sent cannot be, and is reported as in
// flight with how to check and undo it. The zero Journal is ready to use and
// safe for concurrent use.
type Journal struct {
	mu     sync.Mutex
	closed bool
	writes []*write
}

// Local runs fn, a local file write, unless the run was interrupted
// ([ErrInterrupted]); the interrupt waits for it, so the file is whole or
// absent.
func (j *Journal) Local(fn func() error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrInterrupted
	}
	return fn()
}

// WroteFile records a file rewritten in place (--write). It takes the lock
// [Journal.Local] holds, so call it from Local's fn.
func (j *Journal) WroteFile(path string) {
	j.writes = append(j.writes, &write{target: path, what: "rewritten", state: wsWritten})
}

// saved records (from Local's fn) that a bucket's policy was saved to backup
// before a write to it.
func (j *Journal) saved(bucket, backup, what string) *write {
	w := &write{target: "s3://" + bucket, bucket: bucket, backup: backup, what: what, state: wsSaved}
	j.writes = append(j.writes, w)
	return w
}

// savedKey records (from Local's fn) that a KMS key's policy was saved to
// backup before a write to it; bucket is the bucket whose key it is.
func (j *Journal) savedKey(keyARN, bucket, backup, what string) *write {
	w := &write{target: "KMS key " + keyARN, key: keyARN, bucket: bucket, backup: backup, what: what, state: wsSaved}
	j.writes = append(j.writes, w)
	return w
}

// Setting runs put, a write of something other than a policy (a bucket's
// versioning, a role's attached policies), as a journalled write to target
// whose old value is saved in backup; check is the command that shows it.
// Once the run is interrupted it refuses ([ErrInterrupted]) and put is not
// called; a put that fails leaves the write reported as in flight.
func (j *Journal) Setting(target, check, backup string, put func() error) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrInterrupted
	}
	w := &write{target: target, check: check, backup: backup, what: "changed", state: wsSent}
	j.writes = append(j.writes, w)
	j.mu.Unlock()
	err := put()
	if err == nil {
		j.settle(w, wsWritten)
	}
	return err
}

// send marks w as sent just before PutBucketPolicy, unless the run was
// interrupted (then the write must not be made).
func (j *Journal) send(w *write) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrInterrupted
	}
	w.state = wsSent
	return nil
}

// settle records the known outcome of a sent write.
func (j *Journal) settle(w *write, s writeState) {
	j.mu.Lock()
	w.state = s
	j.mu.Unlock()
}

// Interrupted closes the journal and says, in one line, what the run wrote.
func (j *Journal) Interrupted() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	var parts []string
	for _, w := range j.writes {
		switch w.state {
		case wsSaved:
			if w.backup == "" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s was not changed (its policy was saved to %s first)", w.target, w.backup))
		case wsSent:
			if w.check != "" {
				parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either its old setting or the new one: check with %s; the old setting is saved in %s",
					w.target, w.check, w.backup))
				continue
			}
			if w.key != "" {
				parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either its old policy or the %s one: "+
					"check with aws kms get-key-policy --key-id %s --policy-name default; the old policy is saved in %s (put it back with: fixpolicy rollback --bucket %s --from %s)",
					w.target, w.what, w.key, w.backup, w.bucket, w.backup))
				continue
			}
			if w.backup == "" {
				parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either no policy or the %s one: check with aws s3api get-bucket-policy --bucket %s",
					w.target, w.what, w.bucket))
				continue
			}
			parts = append(parts, fmt.Sprintf("the write to %s was in flight, so it has either its old policy or the %s one: "+
				"check with fixpolicy --bucket %s --dry-run; the old policy is saved in %s (put it back with: fixpolicy rollback --bucket %s --from %s)",
				w.target, w.what, w.bucket, w.backup, w.bucket, w.backup))
		case wsWritten:
			switch {
			case w.backup == "":
				parts = append(parts, w.target+" was "+w.what)
			case w.check != "":
				parts = append(parts, fmt.Sprintf("%s was changed (its old setting is saved in %s)", w.target, w.backup))
			default:
				parts = append(parts, fmt.Sprintf("%s was %s (its old policy is saved in %s)", w.target, w.what, w.backup))
			}
		}
	}
	if len(parts) == 0 {
		return "interrupted; nothing was written"
	}
	return "interrupted; " + strings.Join(parts, "; ") + "; nothing else was written"
}
