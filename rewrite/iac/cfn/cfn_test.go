package cfn

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/iac/cloudformation")

const (
	testAccount = "012345678901"
	testRoleID  = "AROAEXAMPLEROLEID0001"
	testRoleARN = "arn:aws:iam::012345678901:role/service-role/AWSBackupDefaultServiceRole"
	fixtureDir  = "../../../fixtures/iac/cloudformation"
)

// caseOptions are a fixture's options.json.
type caseOptions struct {
	ExemptBy string `json:"exemptBy"`
	// Values are what the symbols stand for when the re-located patched
	// policy is compared with WantPolicy (by Expr).
	Values     map[string]string `json:"values"`
	WantPolicy string            `json:"wantPolicy"` // a JSON policy file, relative to the case
}

// TestFixtures runs every case under fixtures/iac/cloudformation: the
// located documents against want.documents.json, the whole patch loop
// (analysis, Diff, Edit, splices, re-locate, same policy, idempotency)
// and the patched template against its golden file.
func TestFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(fixtureDir, "*"))
	if len(dirs) < 3 {
		t.Fatalf("only %d cases found", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runCase(t, dir) })
	}
}

func inputOf(t *testing.T, dir string) string {
	for _, name := range []string{"template.yaml", "template.yml", "template.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return name
		}
	}
	t.Fatalf("%s: no template.yaml or template.json", dir)
	return ""
}

func runCase(t *testing.T, dir string) {
	name := inputOf(t, dir)
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var opt caseOptions
	if b, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		if err := json.Unmarshal(b, &opt); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := Locate(name, src)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(dir, "want.documents.json"), Report(docs))

	var splices []iac.Splice
	for _, d := range docs {
		splices = append(splices, patchLoop(t, name, src, d, opt)...)
	}
	out, err := iac.ApplySplices(src, splices)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(dir, "want.patched."+strings.TrimPrefix(filepath.Ext(name), ".")), out)
	// Comments are untouched: every input line with a comment is in the
	// output as it was.
	have := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		have[l]++
	}
	for _, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "#") {
			if have[l] == 0 {
				t.Errorf("comment line lost or changed: %q", l)
			}
			have[l]--
		}
	}
	// The written file parses again, and every policy in it is compliant.
	again, err := Locate(name, out)
	if err != nil {
		t.Fatalf("the patched template does not parse: %v", err)
	}
	if len(again) != len(docs) {
		t.Fatalf("%d policies after the patch, %d before", len(again), len(docs))
	}
	for _, d := range again {
		if d.Unsupported != "" {
			continue
		}
		if res := fix(t, d, opt); res.Status != rewrite.StatusCompliant {
			t.Errorf("%s after the patch: %s, want compliant\n%s", d.Target(), res.Status, res.After)
		}
	}
}

// Report is the located documents as the golden JSON.
func Report(docs []iac.Document) []byte {
	type sym struct {
		Placeholder, Expr, Interp, Role string `json:",omitempty"`
	}
	type doc struct {
		Target      string          `json:"target"`
		Format      string          `json:"format"`
		Bucket      string          `json:"bucket,omitempty"`
		Pos         string          `json:"pos"`
		Statements  []string        `json:"statements,omitempty"`
		Symbols     []sym           `json:"symbols,omitempty"`
		Policy      json.RawMessage `json:"policy,omitempty"`
		Unsupported string          `json:"unsupported,omitempty"`
		ReadOnly    string          `json:"readOnly,omitempty"`
		Editable    bool            `json:"editable"`
	}
	out := []doc{}
	for _, d := range docs {
		r := doc{Target: d.Target(), Format: d.Format, Bucket: d.Bucket, Pos: posString(d.Pos),
			Unsupported: d.Unsupported, ReadOnly: d.ReadOnly, Editable: d.Editor != nil}
		for _, p := range d.Statements {
			r.Statements = append(r.Statements, posString(p))
		}
		for _, s := range d.Symbols {
			r.Symbols = append(r.Symbols, sym{s.Placeholder, s.Expr, s.Interp, s.Role})
		}
		if len(d.Policy) > 0 {
			r.Policy = d.Policy
		}
		out = append(out, r)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func posString(p iac.Pos) string {
	b, _ := json.Marshal([]int{p.Line, p.Col, p.Offset})
	return string(b)
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// substitute replaces the placeholders of the given roles in s.
func substitute(s string, syms []iac.Symbol, byRole map[string]string, byExpr map[string]string) string {
	var b strings.Builder
	for _, p := range iac.SplitPlaceholders(s, syms) {
		switch {
		case p.Symbol == nil:
			b.WriteString(p.Text)
		case byRole[p.Symbol.Role] != "" && p.Symbol.Role != iac.RoleUnknown:
			b.WriteString(byRole[p.Symbol.Role])
		case byExpr != nil && byExpr[p.Symbol.Expr] != "":
			b.WriteString(byExpr[p.Symbol.Expr])
		case byExpr != nil:
			b.WriteString("«" + p.Symbol.Expr + "»")
		default:
			b.WriteString(p.Symbol.Placeholder)
		}
	}
	return b.String()
}

var analysisValues = map[string]string{iac.RoleAccount: testAccount, iac.RolePartition: "aws"}

// fix runs the analysis and the patch on d's policy, with the account and
// the partition substituted.
func fix(t *testing.T, d iac.Document, opt caseOptions) *rewrite.Result {
	t.Helper()
	src := []byte(substitute(string(d.Policy), d.Symbols, analysisValues, nil))
	p, err := rewrite.Parse(src)
	if err != nil {
		t.Fatalf("%s: the located policy does not parse: %v\n%s", d.Target(), err, src)
	}
	o := rewrite.Options{Facts: rewrite.Facts{Bucket: substitute(d.Bucket, d.Symbols, analysisValues, nil),
		AccountID: testAccount, RoleID: testRoleID, RoleARN: testRoleARN}}
	if opt.ExemptBy != "" {
		o.ExemptBy = rewrite.ExemptBy(opt.ExemptBy)
	}
	res, err := rewrite.FixPolicy(p, src, o)
	if err != nil {
		t.Fatalf("%s: %v", d.Target(), err)
	}
	return res
}

// placeholdersBack writes the account and the partition back as
// placeholders inside the new values of ops, as the caller does.
func placeholdersBack(ops []iac.Op, syms []iac.Symbol) {
	var account, partition string
	for _, s := range syms {
		switch s.Role {
		case iac.RoleAccount:
			account = s.Placeholder
		case iac.RolePartition:
			partition = s.Placeholder
		}
	}
	var walk func(v *jsonast.Value)
	walk = func(v *jsonast.Value) {
		switch v.Kind {
		case jsonast.String:
			if rest, ok := strings.CutPrefix(v.Str, "arn:aws:"); ok && partition != "" {
				v.Str = "arn:" + partition + ":" + rest
			}
			if account != "" {
				v.Str = strings.ReplaceAll(v.Str, testAccount, account)
			}
		case jsonast.Object:
			for _, m := range v.Members {
				walk(m.Value)
			}
		case jsonast.Array:
			for _, e := range v.Elems {
				walk(e)
			}
		}
	}
	for i := range ops {
		if ops[i].Value != nil {
			ops[i].Value = ops[i].Value.Clone()
			walk(ops[i].Value)
		}
	}
}

func mustJSON(t *testing.T, b []byte) *jsonast.Value {
	t.Helper()
	v, err := jsonast.Parse(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return v
}

// patchLoop patches one Document and checks the result by locating it
// again; it returns the Document's splices.
func patchLoop(t *testing.T, file string, src []byte, d iac.Document, opt caseOptions) []iac.Splice {
	t.Helper()
	if d.Unsupported != "" {
		return nil
	}
	res := fix(t, d, opt)
	if res.Status == rewrite.StatusRefused {
		t.Fatalf("%s: refused: %s", d.Target(), res.Refusal)
	}
	if !res.Changed() {
		return nil
	}
	ops := iac.Diff(mustJSON(t, res.Before), mustJSON(t, res.After))
	placeholdersBack(ops, d.Symbols)
	want, err := iac.Apply(mustJSON(t, d.Policy), ops)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := d.Editor.Edit(ops, iac.EditOptions{RoleID: testRoleID, RoleARN: testRoleARN, AccountID: testAccount})
	if err != nil {
		t.Fatalf("%s: Edit: %v", d.Target(), err)
	}
	out, err := iac.ApplySplices(src, sp)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Locate(file, out)
	if err != nil {
		t.Fatalf("%s: the patched template does not parse: %v\n%s", d.Target(), err, out)
	}
	var got *iac.Document
	for i := range again {
		if again[i].Address == d.Address {
			got = &again[i]
		}
	}
	if got == nil || got.Unsupported != "" {
		t.Fatalf("%s: not found again after the patch", d.Target())
	}
	// Placeholder numbers may shift: compare with symbols as expressions,
	// the account and the partition as the analysis sees them (a copied
	// "arn:aws:..." literal may be written as the template wrote it).
	a := substitute(string(jsonast.Compact(mustJSON(t, got.Policy))), got.Symbols, analysisValues, map[string]string{})
	w := substitute(string(jsonast.Compact(want)), d.Symbols, analysisValues, map[string]string{})
	if a != w {
		t.Errorf("%s: re-located policy\n%s\nwant the patched policy\n%s\ntemplate:\n%s", d.Target(), a, w, out)
	}
	if opt.WantPolicy != "" {
		wp, err := os.ReadFile(filepath.Join(fixtureDir, opt.WantPolicy))
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string]string{}
		for k, v := range opt.Values {
			vals[k] = v
		}
		r := substitute(string(jsonast.Compact(mustJSON(t, got.Policy))), got.Symbols, nil, vals)
		if r != string(jsonast.Compact(mustJSON(t, wp))) {
			t.Errorf("%s: the patch differs from %s:\n%s", d.Target(), opt.WantPolicy, r)
		}
	}
	return sp
}
