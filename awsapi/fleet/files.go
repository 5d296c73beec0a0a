package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/source"
)

// ExpandFiles resolves the globs and directories of --policy-file; a
// pattern that matches nothing is an error. "-" (standard input) and names
// without glob characters are kept as they are; a directory is walked (see
// WalkSources).
func ExpandFiles(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			found, err := WalkSources(p)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
			continue
		}
		if p == "-" || !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("--policy-file %q is not a valid pattern: %v", p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("--policy-file %q matches no file", p)
		}
		out = append(out, m...)
	}
	return out, nil
}

// skipDirs are the directories a walk does not enter (unless named): tool
// caches and dependencies, not the user's sources.
var skipDirs = map[string]bool{".terraform": true, ".git": true, "node_modules": true, "cdk.out": true}

// WalkSources lists the files under dir, recursively and in lexical order,
// that hold something fixpolicy reads: JSON policies, Terraform,
// CloudFormation and Terraform plans (source.Detect, by content); policy
// templates are reached through the Terraform that reads them. It skips
// .terraform, .git, node_modules and cdk.out below dir.
func WalkSources(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", path, UnwrapPathError(err))
		}
		if d.IsDir() {
			if path != dir && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		src, err := ReadSource(nil, path)
		if err != nil {
			return nil // not a text file fixpolicy reads, or too large for one
		}
		switch source.Detect(path, src) {
		case source.KindNone, source.KindTemplate:
			// A template is checked through the file() or templatefile()
			// that reads it, with its variables.
		case source.KindPolicy:
			if strings.Contains(string(src), `"Statement"`) {
				out = append(out, path) // not a broken tsconfig.json
			}
		default:
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// Files checks each policy file (rewriting it with Mode Write) and prints
// its reports, in the files' order. buckets names the policies' buckets:
// none, one for every file, or one per file. Files are checked as many at
// once as the machine has processors: a Terraform tree has thousands. It
// returns the worst exit code; when ctx ends (an interrupt) it stops.
func (run *Run) Files(ctx context.Context, files, buckets []string) int {
	type outcome struct {
		reps  []*report.Report
		panic any
	}
	out := make([]chan outcome, len(files))
	for i := range out {
		out[i] = make(chan outcome, 1)
	}
	go func() {
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i, f := range files {
			sem <- struct{}{}
			if ctx.Err() != nil {
				out[i] <- outcome{}
				<-sem
				continue // interrupted: the caller reports it
			}
			bucket := ""
			switch {
			case len(buckets) == 1:
				bucket = buckets[0]
			case len(buckets) > 1:
				bucket = buckets[i]
			}
			go func() {
				var o outcome
				defer func() {
					if p := recover(); p != nil {
						o.panic = fmt.Sprintf("%v\n\n[recovered checking %s]\n%s", p, f, debug.Stack())
					}
					out[i] <- o
					<-sem
				}()
				o.reps = run.Path(ctx, f, bucket)
			}()
		}
	}()
	code := ExitOK
	for i := range files {
		o := <-out[i]
		if o.panic != nil {
			panic(o.panic) // in the caller's goroutine, where main recovers it
		}
		for _, r := range o.reps {
			run.Print(r)
			code = Worst(code, r.ExitCode)
		}
	}
	return code
}

// Path checks one policy file argument: a JSON policy, or a Terraform,
// CloudFormation, Terraform plan or template file (source.Detect tells
// them apart by content and name), one report per policy it holds.
func (run *Run) Path(ctx context.Context, path, bucket string) []*report.Report {
	src, err := ReadSource(run.Stdin, path)
	if err != nil {
		return []*report.Report{run.File(ctx, path, bucket)}
	}
	switch kind := source.Detect(path, src); kind {
	case source.KindPolicy, source.KindNone:
		return []*report.Report{run.policyFile(ctx, path, bucket, src)}
	default:
		return run.Source(ctx, path, kind, src, bucket)
	}
}

// File checks the policy file path ("-": Stdin) of bucket (may be ""), and
// with Mode Write rewrites it with the patch.
func (run *Run) File(ctx context.Context, path, bucket string) *report.Report {
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	src, err := ReadSource(run.Stdin, path)
	if err != nil {
		r := ErrorReport(name, err)
		setFile(r, path)
		return r
	}
	return run.policyFile(ctx, path, bucket, src)
}

// policyFile checks the JSON policy src read from path.
func (run *Run) policyFile(ctx context.Context, path, bucket string, src []byte) *report.Report {
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	opt := run.Fix
	opt.Facts.Bucket = bucket
	// With AWS at hand (the run looked up the role or the account), ask
	// Organizations rather than assume the policy's organization.
	var orgWhy string
	if opt.Facts.OrgID == "" && run.Session.Online() && namesOrg(src) {
		id, why, none, err := run.Session.org()
		if err != nil {
			r := ErrorReport(name, orgLookupError(err))
			setFile(r, path)
			return r
		}
		opt.Facts.OrgID, opt.Facts.NoOrg, orgWhy = id, none, why
	}
	tctx, cancel := WithTimeout(ctx, run.Timeout)
	res, err := Fix(tctx, src, opt)
	cancel()
	if err != nil {
		return run.fixError(name, path, err)
	}
	r := FromResult(name, res, name, false)
	setFile(r, path)
	r.NoteOrg(res.OrgAssumed, orgWhy)
	if r.Status != report.StatusNeedsChange {
		return r
	}
	switch run.Mode {
	case Check:
		r.ExitCode = ExitChanges
	case Write:
		err := run.Journal.Local(func() error {
			if err := WriteFileAtomic(path, res.After); err != nil {
				return err
			}
			run.Journal.WroteFile(path)
			return nil
		})
		if err != nil {
			r.Status, r.Error, r.ExitCode = report.StatusError, fmt.Sprintf("cannot write %s: %v", path, UnwrapPathError(err)), ExitError
			return r
		}
		r.Status = report.StatusPatched
	}
	return r
}

// MaxInput bounds every policy read: a bucket policy is at most 20 KB
// (S3's limit), and this leaves room for the Terraform and CloudFormation
// files policies are kept in.
const MaxInput = 4 << 20

// ReadSource reads a policy file, or stdin for "-", at most MaxInput bytes,
// with the error worded for the user: a larger input (or a device such as
// /dev/zero) and a UTF-16 file are refused with what to do.
func ReadSource(stdin io.Reader, path string) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the policy: %v", UnwrapPathError(err))
		}
		defer f.Close()
		r = f
	} else if stdin == nil {
		return nil, fmt.Errorf("cannot read the policy: no standard input")
	}
	src, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the policy: %v", UnwrapPathError(err))
	}
	if len(src) > MaxInput {
		return nil, fmt.Errorf("the input is over %d MiB: a bucket policy is at most 20 KB (S3's limit); check that this is the policy file", MaxInput>>20)
	}
	if enc := utf16(src); enc != "" {
		return nil, fmt.Errorf("the file is %s, and policies are UTF-8 (RFC 8259): convert it first, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8", enc)
	}
	return src, nil
}

// utf16 names the encoding of a UTF-16 text (by its byte order mark, or a
// zero byte beside each of the first ASCII characters), or "".
func utf16(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return "UTF-16 (little-endian, with a byte order mark)"
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return "UTF-16 (big-endian, with a byte order mark)"
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return "UTF-16 (little-endian)"
	case len(b) >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0:
		return "UTF-16 (big-endian)"
	}
	return ""
}

// UnwrapPathError drops the operation and path an *os.PathError repeats:
// the messages name the file themselves.
func UnwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// WriteFileAtomic replaces the file at path with data, as an editor would:
//   - a symbolic link is followed, and the file it names is replaced (the
//     link stays a link);
//   - a file with other hard links is refused (a new file would split it
//     from its other names), as is one the user may not write (a read-only
//     file in a writable directory is not replaced);
//   - the data goes to a temporary file beside it, keeping the mode, is
//     synced to disk, and renamed over the original; the directory is
//     synced after the rename.
//
// Errors name the file or directory at fault.
func WriteFileAtomic(path string, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(real)
	if err != nil {
		return err
	}
	if n := hardLinks(st); n > 1 {
		return fmt.Errorf("%s has %d hard links, and replacing it would split it from the others: write the patch by hand or remove the other links", real, n)
	}
	if st.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("%s is read-only (mode %04o): make it writable first if it should change", real, st.Mode().Perm())
	}
	if f, err := os.OpenFile(real, os.O_WRONLY, 0); err != nil {
		return fmt.Errorf("%s: %v (the file is not writable; fixpolicy does not override that)", real, UnwrapPathError(err))
	} else {
		f.Close()
	}
	dir := filepath.Dir(real)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(real)+".fixpolicy-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s, the directory of %s: %v", dir, real, UnwrapPathError(err))
	}
	defer os.Remove(tmp.Name())
	if err := writeSynced(tmp, data, st.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), real); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every system can sync a directory
		d.Close()
	}
	return nil
}

// writeSynced writes data to f with mode perm, syncs and closes it.
func writeSynced(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fixError is the report of target name, from the file at path, whose
// analysis failed with err: a time-out says which bound ran out.
func (run *Run) fixError(name, path string, err error) *report.Report {
	gaveUp := errors.Is(err, context.DeadlineExceeded)
	if gaveUp {
		err = TimeoutError(run.Timeout, name)
	}
	r := ErrorReport(name, err)
	setFile(r, path)
	r.SelfNamed = gaveUp
	return r
}

// setFile records the report's policy file in the form the renderers take:
// forward slashes, and whether it is absolute ("-" is standard input).
func setFile(r *report.Report, path string) {
	r.File = path
	if path != "-" {
		r.File, r.FileAbs = filepath.ToSlash(path), filepath.IsAbs(path)
	}
}

// AppendFile appends text to the file at path, creating it if need be (the
// job summary file of -o github).
func AppendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CheckFileRun checks a run over policy files in mode (Mode) before any is
// read: --yes is for buckets, and standard input cannot be rewritten.
func CheckFileRun(mode string, yes bool, files []string) error {
	if mode == "" && yes {
		return errors.New("--yes applies to live buckets; for policy files use --write")
	}
	if mode == "write" && slices.Contains(files, "-") {
		return errors.New("--write cannot rewrite standard input; give a file path")
	}
	return nil
}
