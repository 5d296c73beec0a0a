package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// The policies the format tests check together; they share defaultArgs.
var formatPolicies = map[string]string{
	"policies/seed000-vpce-only.json":    "../../fixtures/seed000-vpce-only/policy.json",
	"policies/source-vpc.json":           "../../fixtures/source-vpc/policy.json",
	"policies/stale-role-id.json":        "../../fixtures/stale-role-id/policy.json",
	"policies/tls-only.json":             "../../fixtures/tls-only/policy.json",
	"policies/bad-duplicate-sid.json":    "../../fixtures/bad/duplicate-sid.json",
	"compliant/tls-only.json":            "../../fixtures/tls-only/policy.json",
	"compliant/seed000-fixed.json":       "../../fixtures/seed000-fixed/policy.json",
	"change/seed000-vpce-only.json":      "../../fixtures/seed000-vpce-only/policy.json",
	"change/source-vpc.json":             "../../fixtures/source-vpc/policy.json",
	"bad/bad-duplicate-sid.json":         "../../fixtures/bad/duplicate-sid.json",
	"bad/seed000-vpce-only.json":         "../../fixtures/seed000-vpce-only/policy.json",
	"bad/trailing-comma.json":            "../../fixtures/bad/trailing-comma.json",
	"refused/big.json":                   "", // generated: see bigPolicy
	"refused-change/big.json":            "",
	"refused-change/source-vpc.json":     "../../fixtures/source-vpc/policy.json",
	"refused-bad/big.json":               "",
	"refused-bad/bad-duplicate-sid.json": "../../fixtures/bad/duplicate-sid.json",
}

// bigPolicy blocks AWS Backup, and its patch would exceed S3's 20 KB limit
// (the split statement repeats the long endpoint list), so it is refused.
func bigPolicy() []byte {
	ids := make([]string, 400)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", fmt.Sprintf("vpce-%017x", i))
	}
	return []byte(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyOutsideVpce",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::big-bucket", "arn:aws:s3:::big-bucket/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": [` + strings.Join(ids, ", ") + `]}}
    }
  ]
}
`)
}

// formatsDir sets up a temporary directory with the policies above, changes
// into it, and returns the absolute path of fixtures/formats.
func formatsDir(t *testing.T) string {
	t.Helper()
	golden, err := filepath.Abs("../../fixtures/formats")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for dst, src := range formatPolicies {
		var b []byte
		if src == "" {
			b = bigPolicy()
		} else if b, err = os.ReadFile(src); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return golden
}

func formatArgs(format string, extra ...string) []string {
	return append(append(extra, "-o", format), strings.Fields(defaultArgs)...)
}

// TestFormatsGolden checks -o sarif, markdown and github for several files
// at once (a glob: two policies that need a change, one with a stale RoleId,
// a compliant one and an invalid one) against fixtures/formats.
func TestFormatsGolden(t *testing.T) {
	golden := formatsDir(t)
	for format, name := range map[string]string{"sarif": "check.sarif", "markdown": "check.md", "github": "check.github.txt"} {
		t.Run(format, func(t *testing.T) {
			out, stderr, code := runCLI(t, "", formatArgs(format, "--policy-file", "policies/*.json", "--check")...)
			if code != exitError {
				t.Errorf("exit %d, want 1 (one target is an error, which is worse than the changes)", code)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			checkGolden(t, filepath.Join(golden, name), []byte(out))
		})
	}
}

// TestFormatsExitCodes: the formats do not change the exit codes: --check
// exits 2 when a change is needed, 3 when refused, 1 for an error target,
// and the worst wins; --dry-run exits 0.
func TestFormatsExitCodes(t *testing.T) {
	formatsDir(t)
	cases := []struct {
		glob, mode string
		want       int
	}{
		{"compliant/*.json", "--check", exitOK},
		{"change/*.json", "--check", exitChanges},
		{"change/*.json", "--dry-run", exitOK},
		{"bad/*.json", "--check", exitError},
		{"bad/*.json", "--dry-run", exitError},
		{"refused/*.json", "--check", exitRefused},
		{"refused-change/*.json", "--check", exitRefused},
		{"refused-bad/*", "--check", exitError},
	}
	for _, format := range []string{"sarif", "markdown", "github"} {
		for _, c := range cases {
			t.Run(format+"/"+c.glob+c.mode, func(t *testing.T) {
				out, stderr, code := runCLI(t, "", formatArgs(format, "--policy-file", c.glob, c.mode)...)
				if code != c.want {
					t.Errorf("exit %d, want %d; stderr: %s", code, c.want, stderr)
				}
				if stderr != "" {
					t.Errorf("stderr: %s", stderr)
				}
				if out == "" {
					t.Errorf("no output")
				}
				if format == "sarif" && !json.Valid([]byte(out)) {
					t.Errorf("invalid JSON")
				}
			})
		}
	}
}

// sarifDoc is what the tests read back from -o sarif.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string                `json:"id"`
					Name             string                `json:"name"`
					ShortDescription struct{ Text string } `json:"shortDescription"`
					FullDescription  struct{ Text string } `json:"fullDescription"`
					Help             struct{ Text, Markdown string }
					Default          struct{ Level string } `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					Region           *struct {
						StartLine, StartColumn, EndLine, EndColumn int
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          struct {
				Target    string
				Status    string
				Kind      string
				Statement *int
				Sid       string
			} `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func parseSARIF(t *testing.T, out string) *sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("-o sarif is not JSON: %v\n%s", err, out)
	}
	return &d
}

// statementLines finds the line of each statement's '{' with encoding/json,
// independently of the rewrite package.
func statementLines(t *testing.T, src []byte) []int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(src))
	next := func() json.Token {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("statementLines: %v", err)
		}
		return tok
	}
	skip := func(tok json.Token) { // skip the rest of a value that began with tok
		depth := 0
		for {
			if d, ok := tok.(json.Delim); ok {
				if d == '{' || d == '[' {
					depth++
				} else {
					depth--
				}
			}
			if depth == 0 {
				return
			}
			tok = next()
		}
	}
	line := func() int { return bytes.Count(src[:dec.InputOffset()-1], []byte("\n")) + 1 }
	var lines []int
	next() // {
	for dec.More() {
		key := next().(string)
		tok := next()
		if key != "Statement" {
			skip(tok)
			continue
		}
		if tok == json.Delim('{') {
			lines = append(lines, line())
			skip(tok)
			continue
		}
		for dec.More() {
			tok := next()
			lines = append(lines, line())
			skip(tok)
		}
		next() // ]
	}
	return lines
}

// checkSARIF checks a SARIF log's structure against GitHub's requirements
// and its locations against the files it names (relative to the current
// directory).
func checkSARIF(t *testing.T, out string) *sarifDoc {
	t.Helper()
	d := parseSARIF(t, out)
	if d.Version != "2.1.0" || d.Schema == "" || len(d.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", d.Version, d.Schema, len(d.Runs))
	}
	drv := d.Runs[0].Tool.Driver
	if drv.Name != "fixpolicy" || drv.Version == "" || drv.InformationURI == "" || len(drv.Rules) == 0 {
		t.Errorf("driver %+v", drv)
	}
	ids := map[string]int{}
	for i, r := range drv.Rules {
		if r.ID == "" || r.Name == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %d lacks a required field: %+v", i, r)
		}
		if r.Default.Level != "error" && r.Default.Level != "warning" {
			t.Errorf("rule %s: level %q", r.ID, r.Default.Level)
		}
		if _, dup := ids[r.ID]; dup {
			t.Errorf("rule %s twice", r.ID)
		}
		ids[r.ID] = i
	}
	fps := map[string]bool{}
	for i, res := range d.Runs[0].Results {
		idx, ok := ids[res.RuleID]
		if !ok || res.RuleIndex != idx {
			t.Errorf("result %d: ruleId %q, ruleIndex %d (rule at %d, known %v)", i, res.RuleID, res.RuleIndex, idx, ok)
		}
		if res.Level != "error" && res.Level != "warning" && res.Level != "note" {
			t.Errorf("result %d: level %q", i, res.Level)
		}
		if strings.TrimSpace(res.Message.Text) == "" {
			t.Errorf("result %d: empty message", i)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d: %d locations, want 1 (GitHub rejects results without one)", i, len(res.Locations))
		}
		pl := res.Locations[0].PhysicalLocation
		uri := pl.ArtifactLocation.URI
		if uri == "" || strings.Contains(uri, "://") {
			t.Errorf("result %d: uri %q is not a relative path", i, uri)
		}
		if pl.Region == nil || pl.Region.StartLine < 1 {
			t.Fatalf("result %d: region %+v", i, pl.Region)
		}
		reg := pl.Region
		if reg.EndLine != 0 && (reg.EndLine < reg.StartLine || reg.StartColumn < 1 || reg.EndColumn < 1) {
			t.Errorf("result %d: region %+v", i, reg)
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if fp == "" || fps[fp] {
			t.Errorf("result %d: fingerprint %q missing or not unique", i, fp)
		}
		fps[fp] = true
		src, err := os.ReadFile(uri)
		if err != nil {
			continue // not a file (bucket, stdin)
		}
		switch st := res.Properties.Statement; {
		case st != nil:
			lines := statementLines(t, src)
			if *st < 0 || *st >= len(lines) || reg.StartLine != lines[*st] {
				t.Errorf("result %d (%s, statement %v): startLine %d, statement lines %v", i, uri, *st, reg.StartLine, lines)
			}
			if reg.StartColumn < 1 || reg.EndLine < reg.StartLine {
				t.Errorf("result %d: statement region %+v", i, reg)
			}
		case res.RuleID == "FP005":
			if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(res.Message.Text); m != nil && fmt.Sprint(reg.StartLine) != m[1] {
				t.Errorf("result %d: error at line %d, message says %s", i, reg.StartLine, m[0])
			}
		default:
			if reg.StartLine != 1 {
				t.Errorf("result %d (%s): whole-document region starts at %d", i, res.RuleID, reg.StartLine)
			}
		}
	}
	return d
}

func fingerprints(d *sarifDoc) []string {
	var fps []string
	for _, r := range d.Runs[0].Results {
		fps = append(fps, r.PartialFingerprints[fingerprintKey])
	}
	return fps
}

// TestSARIFStructure checks the SARIF of every kind of finding (blocking
// statements, console reads, stale RoleId, refused, error).
func TestSARIFStructure(t *testing.T) {
	formatsDir(t)
	args := formatArgs("sarif", "--policy-file", "policies/*.json", "--policy-file", "refused/big.json", "--policy-file", "bad/trailing-comma.json", "--check")
	out, stderr, code := runCLI(t, "", args...)
	if code != exitError || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	d := checkSARIF(t, out)
	kinds := map[string]int{}
	for _, r := range d.Runs[0].Results {
		kinds[r.RuleID]++
	}
	want := map[string]int{"FP001": 4, "FP002": 4, "FP003": 1, "FP004": 1, "FP005": 2}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("results per rule %v, want %v", kinds, want)
	}
	for _, r := range d.Runs[0].Results {
		switch r.RuleID {
		case "FP003":
			if r.Level != "warning" {
				t.Errorf("stale RoleId at level %s", r.Level)
			}
		case "FP001":
			if r.Properties.Status == statusNeedsChange && !strings.Contains(r.Message.Text, `StringNotLike {"aws:userid": "AROAEXAMPLEROLEID0001:*"}`) {
				t.Errorf("the message does not say what the patch does: %s", r.Message.Text)
			}
		}
	}

	// Fingerprints are stable across runs, and when lines move.
	again, _, _ := runCLI(t, "", args...)
	if !reflect.DeepEqual(fingerprints(d), fingerprints(parseSARIF(t, again))) {
		t.Errorf("fingerprints differ between two runs")
	}
	src, _ := os.ReadFile("policies/seed000-vpce-only.json")
	os.WriteFile("policies/seed000-vpce-only.json", append([]byte("\n\n\n"), src...), 0o644)
	moved, _, _ := runCLI(t, "", args...)
	dm := checkSARIF(t, moved)
	if !reflect.DeepEqual(fingerprints(d), fingerprints(dm)) {
		t.Errorf("fingerprints change when the statement moves down")
	}
	for i, r := range dm.Runs[0].Results {
		if r.Properties.Target == "policies/seed000-vpce-only.json" {
			if got, was := r.Locations[0].PhysicalLocation.Region.StartLine, d.Runs[0].Results[i].Locations[0].PhysicalLocation.Region.StartLine; got != was+3 {
				t.Errorf("startLine %d after adding 3 lines, was %d", got, was)
			}
		}
	}
}

// TestSARIFOtherTargets: bucket and standard-input targets, and a minified
// policy whose statements share one line (told apart by columns).
func TestSARIFOtherTargets(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	facts := rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole", Bucket: "mtzml-20231208"}
	res, err := rewrite.Fix(src, rewrite.Options{Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	bucket := fromResult("s3://mtzml-20231208", res, "mtzml-20231208.policy.json")
	stdin := fromResult("<stdin>", res, "<stdin>")
	stdin.file = "-"
	failed := errorReport("s3://gone", errors.New("the bucket gone does not exist (NoSuchBucket)"))
	var b bytes.Buffer
	if err := writeSARIF(&b, []*report{bucket, stdin, failed}); err != nil {
		t.Fatal(err)
	}
	d := checkSARIF(t, b.String())
	var uris []string
	for _, r := range d.Runs[0].Results {
		uris = append(uris, r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		if r.Properties.Statement != nil && r.Locations[0].PhysicalLocation.Region.StartLine != 4 {
			t.Errorf("%s: startLine %d, want 4", r.Properties.Target, r.Locations[0].PhysicalLocation.Region.StartLine)
		}
	}
	want := []string{"s3/mtzml-20231208", "s3/mtzml-20231208", "stdin", "stdin", "s3/gone"}
	if !reflect.DeepEqual(uris, want) {
		t.Errorf("uris %v, want %v", uris, want)
	}
	if !strings.Contains(b.String(), `"fullyQualifiedName": "arn:aws:s3:::mtzml-20231208"`) {
		t.Errorf("no logical location for the bucket")
	}
	validateSARIF(t, b.Bytes())

	// Minified: two statements on line 1, at different columns.
	min := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}},{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`)
	facts.Bucket = "b"
	res, err = rewrite.Fix(min, rewrite.Options{Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	r := fromResult("min.json", res, "min.json")
	r.file = "min.json"
	b.Reset()
	writeSARIF(&b, []*report{r})
	d = parseSARIF(t, b.String())
	cols := map[string]int{}
	for _, res := range d.Runs[0].Results {
		reg := res.Locations[0].PhysicalLocation.Region
		if reg.StartLine != 1 || reg.EndLine != 1 {
			t.Errorf("minified: region %+v", reg)
		}
		cols[res.Properties.Sid] = reg.StartColumn
		if got := string(min[reg.StartColumn-1 : reg.EndColumn-1]); !strings.HasPrefix(got, `{"Sid":"`+res.Properties.Sid+`"`) || !json.Valid([]byte(got)) {
			t.Errorf("region of %s covers %q", res.Properties.Sid, got)
		}
	}
	if cols["A"] != 38 || cols["B"] == 0 {
		t.Errorf("columns %v", cols)
	}
	var gh bytes.Buffer
	writeGitHub(&gh, []*report{r}, nil)
	if !strings.Contains(gh.String(), "::error file=min.json,line=1,col=38,endColumn=") {
		t.Errorf("single-line annotation without columns:\n%s", gh.String())
	}
}

// TestSARIFSchema validates the SARIF output against the SARIF 2.1.0 JSON
// schema (fixtures/formats/sarif-schema-2.1.0.json).
func TestSARIFSchema(t *testing.T) {
	formatsDir(t)
	out, _, _ := runCLI(t, "", formatArgs("sarif", "--policy-file", "policies/*.json", "--policy-file", "refused/big.json", "--check")...)
	validateSARIF(t, []byte(out))

	// The validator itself catches what the schema forbids.
	var doc map[string]any
	json.Unmarshal([]byte(out), &doc)
	doc["version"] = "2.0.0"
	doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["level"] = "fatal"
	bad, _ := json.Marshal(doc)
	if errs := schemaErrors(t, bad); len(errs) != 2 {
		t.Errorf("a log with a bad version and level gives %d schema errors, want 2: %v", len(errs), errs)
	}
}

func validateSARIF(t *testing.T, doc []byte) {
	t.Helper()
	if errs := schemaErrors(t, doc); len(errs) > 0 {
		t.Errorf("SARIF does not validate against the 2.1.0 schema:\n%s", strings.Join(errs, "\n"))
	}
}

func schemaErrors(t *testing.T, doc []byte) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(schemaDirAbs, "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema, inst any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc, &inst); err != nil {
		t.Fatal(err)
	}
	v := &validator{root: schema.(map[string]any)}
	v.check(v.root, inst, "")
	return v.errs
}

// schemaDirAbs is fixtures/formats, found before any test changes directory.
var schemaDirAbs = func() string {
	p, _ := filepath.Abs("../../fixtures/formats")
	return p
}()

// validator is a JSON Schema draft-04 validator for the keywords the SARIF
// schema uses ($ref to definitions, type, enum, properties,
// additionalProperties, required, items, minItems, uniqueItems, minimum,
// maximum, pattern, format, anyOf, oneOf).
type validator struct {
	root map[string]any
	errs []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) valid(s map[string]any, x any) bool {
	sub := &validator{root: v.root}
	sub.check(s, x, "")
	return len(sub.errs) == 0
}

func (v *validator) check(s map[string]any, x any, path string) {
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/definitions/")
		def, _ := v.root["definitions"].(map[string]any)[name].(map[string]any)
		if !found || def == nil {
			v.fail(path, "unresolved $ref %s", ref)
			return
		}
		v.check(def, x, path)
		return
	}
	if ty, ok := s["type"]; ok {
		var types []any
		if s, ok := ty.(string); ok {
			types = []any{s}
		} else {
			types = ty.([]any)
		}
		match := false
		for _, t := range types {
			match = match || hasType(x, t.(string))
		}
		if !match {
			v.fail(path, "%T is not of type %v", x, ty)
			return
		}
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, x)
		}
		if !found {
			v.fail(path, "%v is not one of %v", x, enum)
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[key].([]any); ok {
			n := 0
			for _, a := range alts {
				if v.valid(a.(map[string]any), x) {
					n++
				}
			}
			if n == 0 || (key == "oneOf" && n > 1) {
				v.fail(path, "%s: %d alternatives match", key, n)
			}
		}
	}
	switch x := x.(type) {
	case map[string]any:
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				v.fail(path, "missing required property %q", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			if ps, ok := props[k].(map[string]any); ok {
				v.check(ps, val, path+"/"+k)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					v.fail(path, "property %q is not allowed", k)
				}
			case map[string]any:
				v.check(ap, val, path+"/"+k)
			}
		}
	case []any:
		if m, ok := s["minItems"].(float64); ok && float64(len(x)) < m {
			v.fail(path, "%d items, want at least %v", len(x), m)
		}
		if u, _ := s["uniqueItems"].(bool); u {
			for i := range x {
				for j := i + 1; j < len(x); j++ {
					if reflect.DeepEqual(x[i], x[j]) {
						v.fail(path, "items %d and %d are equal", i, j)
					}
				}
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				v.check(items, e, fmt.Sprintf("%s/%d", path, i))
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && x < m {
			v.fail(path, "%v < minimum %v", x, m)
		}
		if m, ok := s["maximum"].(float64); ok && x > m {
			v.fail(path, "%v > maximum %v", x, m)
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			v.fail(path, "%q does not match %s", x, p)
		}
		switch s["format"] {
		case "uri":
			if u, err := url.Parse(x); err != nil || u.Scheme == "" {
				v.fail(path, "%q is not an absolute URI", x)
			}
		case "uri-reference":
			if _, err := url.Parse(x); err != nil {
				v.fail(path, "%q is not a URI reference", x)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				v.fail(path, "%q is not a date-time", x)
			}
		}
	}
}

func asSlice(x any) []any {
	s, _ := x.([]any)
	return s
}

func hasType(x any, t string) bool {
	switch t {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		f, ok := x.(float64)
		return ok && f == math.Trunc(f)
	}
	return false
}

// ---- GitHub annotations ----

func TestGitHubEscaping(t *testing.T) {
	in := "100% done\r\nnext: a, b"
	if got, want := escapeData(in), "100%25 done%0D%0Anext: a, b"; got != want {
		t.Errorf("escapeData = %q, want %q", got, want)
	}
	if got, want := escapeProperty(in), "100%25 done%0D%0Anext%3A a%2C b"; got != want {
		t.Errorf("escapeProperty = %q, want %q", got, want)
	}
	// %0A in the input must not turn into a newline.
	if got := escapeData("%0A"); got != "%250A" {
		t.Errorf("escapeData(%%0A) = %q", got)
	}
}

// TestGitHubAnnotationEscapingEndToEnd runs -o github on a file whose name
// holds ',', ':' and '%'.
func TestGitHubAnnotationEscapingEndToEnd(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile("../../fixtures/stale-role-id/policy.json")
	name := "odd, name: 100%.json"
	os.WriteFile(filepath.Join(dir, name), src, 0o644)
	t.Chdir(dir)
	// A glob, since urfave/cli splits a --policy-file value at commas.
	out, stderr, code := runCLI(t, "", formatArgs("github", "--policy-file", "odd*.json", "--check")...)
	if code != exitChanges || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 annotations and a summary line, got:\n%s", out)
	}
	for _, l := range lines[:2] {
		if !strings.HasPrefix(l, "::error file=odd%2C name%3A 100%25.json,line=4,endLine=21,title=fixpolicy%3A statement 1 (Sid \"DenyOutsideVpce\") ") &&
			!strings.HasPrefix(l, "::warning file=odd%2C name%3A 100%25.json,line=4,endLine=21,title=fixpolicy%3A statement 1 (Sid \"DenyOutsideVpce\") exempts a stale") {
			t.Errorf("annotation: %s", l)
		}
		_, msg, ok := strings.Cut(l[2:], "::")
		if !ok || !strings.Contains(msg, "%0A%0A") || strings.ContainsAny(msg, "\r\n") {
			t.Errorf("message not escaped: %q", msg)
		}
	}
	if lines[0][:7] != "::error" || lines[1][:9] != "::warning" {
		t.Errorf("errors come before warnings:\n%s", out)
	}
}

func countAnnotations(out string) (errs, warns, notices int) {
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "::error "):
			errs++
		case strings.HasPrefix(l, "::warning "):
			warns++
		case strings.HasPrefix(l, "::notice "):
			notices++
		}
	}
	return
}

// TestGitHubAnnotationCap: at most 10 annotations in all; beyond that, 9
// findings (errors first) and a notice counting the rest.
func TestGitHubAnnotationCap(t *testing.T) {
	dir := t.TempDir()
	seed, _ := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	stale, _ := os.ReadFile("../../fixtures/stale-role-id/policy.json")
	for i := range 12 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%02d.json", i)), seed, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "a-stale.json"), stale, 0o644)
	t.Chdir(dir)
	for _, c := range []struct {
		glob                   string
		errs, warns, notices   int
		omittedMentioned       string
		wantErrorsBeforeNotice bool
	}{
		{"p0[0-8].json", 9, 0, 0, "", false}, // 9 findings
		{"p0*.json", 10, 0, 0, "", false},    // 10: all shown, no notice
		{"p0*.json p10.json", 9, 0, 1, "2 more", true},
		{"*.json", 9, 0, 1, "5 more", true}, // 12 + the stale file's error and warning = 14
	} {
		var args []string
		for _, g := range strings.Fields(c.glob) {
			args = append(args, "--policy-file", g)
		}
		out, _, code := runCLI(t, "", formatArgs("github", append(args, "--check")...)...)
		if code != exitChanges {
			t.Errorf("%s: exit %d", c.glob, code)
		}
		e, w, n := countAnnotations(out)
		if e != c.errs || w != c.warns || n != c.notices || e+w+n > maxAnnotations {
			t.Errorf("%s: %d errors, %d warnings, %d notices; want %d, %d, %d:\n%s", c.glob, e, w, n, c.errs, c.warns, c.notices, out)
		}
		if c.omittedMentioned != "" && !strings.Contains(out, "::notice title=fixpolicy%3A findings not annotated::"+c.omittedMentioned) {
			t.Errorf("%s: the notice does not say %q:\n%s", c.glob, c.omittedMentioned, out)
		}
	}
}

func seedReports(t *testing.T) []*report {
	t.Helper()
	var out []*report
	for _, name := range []string{"seed000-vpce-only", "stale-role-id", "tls-only"} {
		p := "../../fixtures/" + name + "/policy.json"
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rewrite.Fix(src, rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}})
		if err != nil {
			t.Fatal(err)
		}
		r := fromResult(name+".json", res, name+".json")
		r.file = name + ".json"
		out = append(out, r)
	}
	return append(out, errorReport("bad.json", errors.New("invalid JSON: line 3, column 7 (at /Statement): trailing comma before ']'")))
}

// TestGitHubStepSummary: the Markdown report is appended to the file named
// by $GITHUB_STEP_SUMMARY, created if need be, and not written when unset.
func TestGitHubStepSummary(t *testing.T) {
	reports := seedReports(t)
	dir := t.TempDir()
	summary := filepath.Join(dir, "step_summary")
	os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	env := func(k string) string {
		if k == "GITHUB_STEP_SUMMARY" {
			return summary
		}
		return ""
	}
	var out bytes.Buffer
	if err := writeGitHub(&out, reports, env); err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	writeMarkdown(&md, reports)
	got, _ := os.ReadFile(summary)
	if want := "earlier step\n" + md.String(); string(got) != want {
		t.Errorf("summary file:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(out.String(), "## fixpolicy") {
		t.Errorf("the summary went to stdout too")
	}
	writeGitHub(io.Discard, reports, env)
	if got, _ := os.ReadFile(summary); strings.Count(string(got), "## fixpolicy") != 2 {
		t.Errorf("a second run did not append")
	}

	// Created when missing.
	fresh := filepath.Join(dir, "new_summary")
	writeGitHub(io.Discard, reports, func(k string) string {
		if k == "GITHUB_STEP_SUMMARY" {
			return fresh
		}
		return ""
	})
	if got, _ := os.ReadFile(fresh); string(got) != md.String() {
		t.Errorf("new summary file: %q", got)
	}

	// Unset: nothing written anywhere; runCLI's environment is empty.
	t.Chdir(dir)
	before, _ := os.ReadDir(dir)
	if err := writeGitHub(io.Discard, reports, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("files were created with GITHUB_STEP_SUMMARY unset")
	}

	// Unwritable: a clear error.
	err := writeGitHub(io.Discard, reports, func(k string) string { return dir })
	if err == nil || !strings.Contains(err.Error(), "$GITHUB_STEP_SUMMARY") {
		t.Errorf("writing the summary to a directory: %v", err)
	}
}

// TestStepSummaryLimit: a summary over GitHub's 1 MiB limit drops the patches.
func TestStepSummaryLimit(t *testing.T) {
	reports := seedReports(t)
	reports[0].Diff = strings.Repeat("+ a long line of a very large patch\n", 40000)
	md := stepSummary(reports)
	if len(md) > maxSummary || !strings.Contains(md, "Patch left out") || strings.Contains(md, "```diff") {
		t.Errorf("summary of %d bytes, patches kept: %v", len(md), strings.Contains(md, "```diff"))
	}
	if !strings.Contains(md, "| `seed000-vpce-only.json` (bucket `mtzml-20231208`) | ❌ needs change |") {
		t.Errorf("the table is missing:\n%s", md[:min(len(md), 2000)])
	}
}

// ---- Markdown ----

func TestMarkdownFenceAndEscaping(t *testing.T) {
	reports := seedReports(t)
	r := reports[0]
	r.Target = "odd|name`x.json"
	r.Diff = "--- a\n+++ b\n@@ -1 +1 @@\n-\"Sid\": \"x```y\"\n+\"Sid\": \"x````z\"\n"
	r.AccessChanges = []string{"a *b* _c_ <d> [e](f) | g"}
	var b bytes.Buffer
	writeMarkdown(&b, reports)
	md := b.String()
	if !strings.Contains(md, "\n`````diff\n"+r.Diff+"`````\n") {
		t.Errorf("the diff is not fenced by a longer fence:\n%s", md)
	}
	if !strings.Contains(md, "| ``odd\\|name`x.json`` (bucket `mtzml-20231208`) |") {
		t.Errorf("table cell not escaped:\n%s", md)
	}
	if !strings.Contains(md, `- a \*b\* \_c\_ \<d\> \[e\](f) \| g`) {
		t.Errorf("access change not escaped:\n%s", md)
	}
	// A compliant target gets one line.
	var lines []string
	for _, l := range strings.Split(md, "\n") {
		if strings.Contains(l, "tls-only.json") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "`tls-only.json` (bucket `data-lake-prod`): ✅ compliant") {
		t.Errorf("compliant target: %q", lines)
	}
	if strings.Contains(md, "\n\n\n") {
		t.Errorf("three newlines in a row:\n%s", md)
	}
	if !strings.Contains(md, "**Error:** invalid JSON: line 3, column 7 (at /Statement): trailing comma before '\\]'.") {
		t.Errorf("error not shown:\n%s", md)
	}
}

func TestMdCode(t *testing.T) {
	for in, want := range map[string]string{
		"a.json":  "`a.json`",
		"a`b":     "``a`b``",
		"`a":      "`` `a ``",
		"a``b`":   "``` a``b` ```",
		"two\nln": "`two ln`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}
