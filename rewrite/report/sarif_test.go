package report

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// sarifDoc is what the tests read back from the SARIF output.
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
// and its locations against the sources of the files it names.
func checkSARIF(t *testing.T, out string, sources map[string][]byte) *sarifDoc {
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
		src, ok := sources[uri]
		if !ok {
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

// sarifOf renders reports as SARIF.
func sarifOf(t *testing.T, reports []*Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, reports, "dev"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// structureReports are the reports of the given policy files.
func structureReports(t *testing.T, sources map[string][]byte, names []string) []*Report {
	var out []*Report
	for _, n := range names {
		out = append(out, fileReport(t, n, sources[n]))
	}
	return out
}

// TestSARIFStructure checks the SARIF of every kind of finding (blocking
// statements, console reads, stale RoleId, refused, error).
func TestSARIFStructure(t *testing.T) {
	sources := map[string][]byte{"refused/big.json": bigPolicy(), "bad/trailing-comma.json": fixture(t, "bad/trailing-comma.json")}
	var names []string
	for _, r := range checkReports(t) {
		names = append(names, r.Target)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "policies/"), ".json")
		if base == "bad-duplicate-sid" {
			sources[n] = fixture(t, "bad/duplicate-sid.json")
		} else {
			sources[n] = fixture(t, base)
		}
	}
	names = append(names, "refused/big.json", "bad/trailing-comma.json")
	out := sarifOf(t, structureReports(t, sources, names))
	d := checkSARIF(t, out, sources)
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
			if r.Properties.Status == StatusNeedsChange && !strings.Contains(r.Message.Text, `StringNotLike {"aws:userid": "AROAEXAMPLEROLEID0001:*"}`) {
				t.Errorf("the message does not say what the patch does: %s", r.Message.Text)
			}
		case "FP005":
			if r.Properties.Target == "bad/trailing-comma.json" {
				// invalid JSON: at the character the message names.
				if reg := r.Locations[0].PhysicalLocation.Region; reg.StartLine != 1 || reg.StartColumn != 114 || reg.EndLine != 1 || reg.EndColumn != 115 {
					t.Errorf("trailing comma at %+v", reg)
				}
			}
		}
	}

	// Fingerprints are stable across runs, and when lines move.
	again := sarifOf(t, structureReports(t, sources, names))
	if !reflect.DeepEqual(fingerprints(d), fingerprints(parseSARIF(t, again))) {
		t.Errorf("fingerprints differ between two runs")
	}
	sources["policies/seed000-vpce-only.json"] = append([]byte("\n\n\n"), sources["policies/seed000-vpce-only.json"]...)
	moved := sarifOf(t, structureReports(t, sources, names))
	dm := checkSARIF(t, moved, sources)
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
	src := fixture(t, "seed000-vpce-only")
	facts := facts
	facts.Bucket = "mtzml-20231208"
	res, err := rewrite.Fix(src, rewrite.Options{Facts: facts})
	if err != nil {
		t.Fatal(err)
	}
	bucket := FromResult("s3://mtzml-20231208", res, "mtzml-20231208.policy.json")
	stdin := FromResult("<stdin>", res, "<stdin>")
	stdin.File = "-"
	failed := ErrorReport("s3://gone", fmt.Errorf("the bucket gone does not exist (NoSuchBucket)"))
	var b bytes.Buffer
	if err := WriteSARIF(&b, []*Report{bucket, stdin, failed}, "dev"); err != nil {
		t.Fatal(err)
	}
	d := checkSARIF(t, b.String(), nil)
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
	r := FromResult("min.json", res, "min.json")
	r.File = "min.json"
	b.Reset()
	WriteSARIF(&b, []*Report{r}, "dev")
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
	WriteGitHub(&gh, []*Report{r})
	if !strings.Contains(gh.String(), "::error file=min.json,line=1,col=38,endColumn=") {
		t.Errorf("single-line annotation without columns:\n%s", gh.String())
	}
}

// TestSARIFSchema validates the SARIF output against the SARIF 2.1.0 JSON
// schema (fixtures/formats/sarif-schema-2.1.0.json).
func TestSARIFSchema(t *testing.T) {
	reports := append(checkReports(t), fileReport(t, "refused/big.json", bigPolicy()))
	// An assumed organization is a notification of the invocation.
	org := fileReport(t, "org.json", fixture(t, "tls-only"))
	org.NoteOrg("o-a1b2c3d4e5", "")
	reports = append(reports, org)
	out := sarifOf(t, reports)
	if !strings.Contains(out, `"toolExecutionNotifications"`) {
		t.Errorf("no notification of the assumed organization")
	}
	validateSARIF(t, []byte(out))
	// The command's golden output too.
	golden, err := os.ReadFile(filepath.Join(schemaDirAbs, "check.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, golden)

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

// schemaDirAbs is fixtures/formats.
var schemaDirAbs = filepath.Join("..", "..", "fixtures", "formats")

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

// TestErrorRegion: an error is located from its *rewrite.Error, wrapped or
// not: invalid JSON at its character (UTF-16 columns), an invalid element
// at its line, anything else at the first line.
func TestErrorRegion(t *testing.T) {
	parseErr := func(src string) error {
		_, err := rewrite.Parse([]byte(src))
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want region
	}{
		{"syntax", parseErr("{\n  \"Id\": \"😀\",}"), region{2, 13, 2, 14}},
		{"element", parseErr(string(fixture(t, "bad/duplicate-sid.json"))), region{startLine: 19}},
		{"wrapped", fmt.Errorf("the bucket's policy: %w", parseErr(string(fixture(t, "bad/duplicate-sid.json")))), region{startLine: 19}},
		{"flattened", fmt.Errorf("the bucket's policy: %v", parseErr(string(fixture(t, "bad/duplicate-sid.json")))), region{startLine: 1}},
		{"other", fmt.Errorf("line 7: not a policy error"), region{startLine: 1}},
		{"none", nil, region{startLine: 1}},
	} {
		if got := errorRegion(tc.err); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
