package fleet

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/fixpolicy/fixpolicy/rewrite/source"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// sourceFile is one file whose policies are patched together: the file a
// Terraform or CloudFormation source was read from, or a policy file that
// a Terraform resource reads with file() or templatefile().
type sourceFile struct {
	path, kind string
	src        []byte
	vars       map[string]iac.Symbol // a followed template's variables
	roles      map[string]string     // Terraform: the roles the module's other files declare
	address    string                // the resource that follows a file into this one
	fixed      []fixedDoc
	reps       []*report.Report // in the order of the file's policies, errors included
}

// fixedDoc is a policy that was analysed, with its report.
type fixedDoc struct {
	fx *source.Fixed
	r  *report.Report
}

// locate finds the policies of the file's content src.
func (sf *sourceFile) locate(src []byte) ([]iac.Document, error) {
	var docs []iac.Document
	var err error
	if sf.kind == source.KindTerraform && len(sf.roles) > 0 {
		docs, err = source.LocateInModule(sf.path, src, sf.roles)
	} else {
		docs, err = source.Locate(sf.kind, sf.path, src, sf.vars)
	}
	if sf.address != "" {
		for i := range docs {
			docs[i].Address = sf.address
		}
	}
	return docs, err
}

// Source checks the bucket policies of a Terraform, CloudFormation, plan
// or template file (kind is source.Detect's), one report per policy, and
// with Mode Write rewrites the file (and the files it reads policies from).
func (run *Run) Source(ctx context.Context, path, kind string, src []byte, bucket string) []*report.Report {
	main := &sourceFile{path: path, kind: kind, src: src}
	switch kind {
	case source.KindTemplate:
		main.vars = map[string]iac.Symbol{} // found on its own: every ${...} is unknown
	}
	docs, err := main.locate(src)
	if kind == source.KindTerraform && err == nil && len(docs) > 0 {
		// Only a file with a policy needs its module's roles.
		if main.roles = run.moduleRoles(path); len(main.roles) > 0 {
			docs, err = main.locate(src)
		}
	}
	if err != nil {
		r := ErrorReport(path, err)
		r.SelfNamed = true
		setFile(r, path)
		return []*report.Report{r}
	}
	files := []*sourceFile{main}
	for i := range docs {
		d := &docs[i]
		if d.Follow == "" {
			run.sourceDoc(ctx, main, d, bucket)
			continue
		}
		fp := filepath.Join(filepath.Dir(path), filepath.FromSlash(d.Follow))
		fsrc, err := ReadSource(nil, fp)
		if err != nil {
			r := ErrorReport(d.Target(), fmt.Errorf("cannot read %s, the policy it names: %v", fp, UnwrapPathError(err)))
			setFile(r, path)
			main.reps = append(main.reps, r)
			continue
		}
		sf := &sourceFile{path: fp, kind: source.KindTemplate, src: fsrc, vars: d.FollowVars, address: d.Address}
		fdocs, err := sf.locate(fsrc)
		if err != nil {
			r := ErrorReport(d.Target(), err)
			setFile(r, fp)
			main.reps = append(main.reps, r)
			continue
		}
		for j := range fdocs {
			run.sourceDoc(ctx, sf, &fdocs[j], bucket)
		}
		files = append(files, sf)
	}
	var out []*report.Report
	for _, sf := range files {
		run.finishSource(sf)
		out = append(out, sf.reps...)
	}
	return out
}

// sourceDoc fixes one policy of sf and adds its report.
func (run *Run) sourceDoc(ctx context.Context, sf *sourceFile, d *iac.Document, bucket string) {
	name := d.Target()
	opt := run.Fix
	opt.Facts.Bucket = bucket
	f := opt.Facts.Resolved()
	eo := iac.EditOptions{RoleName: f.RoleName, RoleID: f.RoleID, RoleARN: f.RoleARN, AccountID: f.AccountID, LiteralRoleID: run.LiteralRoleID}
	tctx, cancel := WithTimeout(ctx, run.Timeout)
	opt.Context = tctx
	fx, err := Bounded(tctx, func() (*source.Fixed, error) { return source.Fix(d, opt, eo) })
	cancel()
	if err != nil {
		sf.reps = append(sf.reps, run.fixError(name, sf.path, err))
		return
	}
	r := FromResult(name, fx.Result, sf.path, false)
	setFile(r, sf.path)
	placeFindings(r, d)
	displaySymbols(r, fx)
	if r.Status == report.StatusNeedsChange {
		if d.Editor == nil {
			// Derived data (a plan): the diff is of the policy itself, as
			// for a live bucket, not of the file.
			r.Warnings = append(r.Warnings, "Not written: "+d.ReadOnly+".")
			r.Diff = report.ReadableDiff(d.Address+" (planned policy)", fx.DisplayJSON(fx.Result.Before), fx.DisplayJSON(fx.Result.After))
		}
		if after, err := fx.Apply(sf.src); err == nil && len(fx.Splices) > 0 {
			r.Diff = udiff.Unified(sf.path, sf.path+" (patched)", sf.src, after, 3)
		}
	}
	sf.fixed = append(sf.fixed, fixedDoc{fx, r})
	sf.reps = append(sf.reps, r)
}

// displaySymbols writes the symbols in the report's texts as the source's
// expressions.
func displaySymbols(r *report.Report, fx *source.Fixed) {
	for _, list := range [][]string{r.Explanations, r.AccessChanges, r.Warnings} {
		for i := range list {
			list[i] = fx.Display(list[i])
		}
	}
	for i := range r.Changes {
		r.Changes[i].Explanation = fx.Display(r.Changes[i].Explanation)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Explanation = fx.Display(f.Explanation)
		for j := range f.Reasons {
			for _, list := range [][]string{f.Reasons[j].Values, f.Reasons[j].Request} {
				for k := range list {
					list[k] = fx.Display(list[k])
				}
			}
		}
		if f.Patch != nil {
			f.Patch.Value = fx.Display(f.Patch.Value)
		}
	}
	if r.Proof != nil {
		for i := range r.Proof.Classes {
			r.Proof.Classes[i] = fx.Display(r.Proof.Classes[i])
		}
		for i := range r.Proof.Changes {
			c := &r.Proof.Changes[i]
			c.Principals, c.Resource, c.Context = fx.Display(c.Principals), fx.Display(c.Resource), fx.Display(c.Context)
		}
	}
	r.Error, r.Bucket = fx.Display(r.Error), fx.Display(r.Bucket)
	r.PolicyBefore, r.PolicyAfter = fx.DisplayJSON(r.PolicyBefore), fx.DisplayJSON(r.PolicyAfter)
}

// moduleRoles reads, once per directory, the data "aws_iam_role" blocks of
// the .tf files in path's directory (its module), so that a patch refers to
// a role the module declares rather than declaring it a second time. The
// file's own blocks are among them; its own reading of them wins.
func (run *Run) moduleRoles(path string) map[string]string {
	if path == "-" {
		return nil
	}
	dir := filepath.Dir(path)
	if r, ok := run.modRoles.Load(dir); ok {
		return r.(map[string]string)
	}
	roles := readModuleRoles(dir)
	run.modRoles.Store(dir, roles)
	return roles
}

// readModuleRoles reads the data "aws_iam_role" blocks of dir's .tf files.
func readModuleRoles(dir string) map[string]string {
	others, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	files := map[string][]byte{}
	for _, o := range others {
		if src, err := ReadSource(nil, o); err == nil && bytes.Contains(src, []byte("aws_iam_role")) {
			files[o] = src
		}
	}
	if len(files) == 0 {
		return nil
	}
	return source.ModuleRoles(files)
}

// placeFindings points the report's findings at the statements in the
// source file rather than in the policy rendered as JSON.
func placeFindings(r *report.Report, d *iac.Document) {
	at := func(i int) jsonast.Span {
		p := d.StatementPos(i)
		pos := jsonast.Pos{Offset: p.Offset, Line: p.Line, Col: p.Col, Col16: p.Col}
		return jsonast.Span{Start: pos, End: pos}
	}
	for i := range r.Changes {
		r.Changes[i].Line = at(r.Changes[i].Statement).Start.Line
	}
	for i := range r.Findings {
		r.Findings[i].Span = at(r.Findings[i].Statement)
		r.Findings[i].Line = r.Findings[i].Span.Start.Line
	}
}

// finishSource checks the file's edits together (the patched file must
// hold exactly the proved policies) and, with Mode Write, writes it.
func (run *Run) finishSource(sf *sourceFile) {
	var fixed []*source.Fixed
	for _, d := range sf.fixed {
		if len(d.fx.Splices) > 0 {
			fixed = append(fixed, d.fx)
		}
	}
	// settle gives each policy that needs a change its outcome: status
	// and exit code, or the error msg. A policy that cannot be written (a
	// plan) still needs its change.
	settle := func(status string, code int, msg string) {
		for _, d := range sf.fixed {
			switch r := d.r; {
			case r.Status != report.StatusNeedsChange:
			case msg != "":
				r.Status, r.Error, r.ExitCode = report.StatusError, msg, ExitError
			case len(d.fx.Splices) == 0: // read only (a plan): the change is still needed
				if run.Mode == Check || run.Mode == Write {
					r.ExitCode = Worst(r.ExitCode, ExitChanges)
				}
			default:
				r.Status, r.ExitCode = status, code
			}
		}
	}
	if len(fixed) == 0 {
		settle(report.StatusNeedsChange, ExitOK, "")
		return
	}
	out, err := source.PatchFile(sf.src, fixed, sf.locate)
	if err != nil {
		settle("", 0, fmt.Sprintf("nothing was written to %s: %v", sf.path, err))
		return
	}
	switch run.Mode {
	case Check:
		settle(report.StatusNeedsChange, ExitChanges, "")
	case Write:
		err := run.Journal.Local(func() error {
			if err := WriteFileAtomic(sf.path, out); err != nil {
				return err
			}
			run.Journal.WroteFile(sf.path)
			return nil
		})
		if err != nil {
			settle("", 0, fmt.Sprintf("cannot write %s: %v", sf.path, UnwrapPathError(err)))
			return
		}
		settle(report.StatusPatched, ExitOK, "")
	}
}
