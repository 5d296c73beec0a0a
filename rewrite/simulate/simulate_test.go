package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// Tests of the simulator on its own: request lines in, verdicts out. The
// evaluator's semantics are pinned by rewrite/conformance_test.go; the
// command's flags and exit codes by cmd/fixpolicy/simulate_test.go.

const (
	simSeed000 = "../../fixtures/seed000-vpce-only/policy.json"
	simOwner   = "012345678901"
	simBucket  = "arn:aws:s3:::mtzml-20231208"
	simAlice   = "arn:aws:iam::012345678901:user/alice"
	simBackup  = "arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole"
	simVpce    = "vpce-12345678901234567"
)

// seed000 parses the seed 000 policy.
func seed000(t testing.TB) *rewrite.Policy {
	t.Helper()
	src, err := os.ReadFile(simSeed000)
	if err != nil {
		t.Fatal(err)
	}
	p, err := rewrite.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stream decides the request lines in against p and returns the output,
// the number of requests and of error lines.
func stream(t testing.TB, p *rewrite.Policy, owner string, asJSON bool, in string) (out string, n, bad int) {
	t.Helper()
	var b bytes.Buffer
	s := New(p, owner, asJSON, &b)
	n, bad, err := s.Stream(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String(), n, bad
}

// simResult is one JSON output line.
type simResult struct {
	Decision   string `json:"decision"`
	Statements []struct {
		Index int    `json:"index"`
		Sid   string `json:"sid"`
	} `json:"statements"`
	Error string `json:"error"`
}

func simParseLines(t *testing.T, out string) []simResult {
	t.Helper()
	var res []simResult
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var r simResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output line %q is not a result: %v", l, err)
		}
		res = append(res, r)
	}
	return res
}

func (r simResult) indexes() []int {
	out := []int{}
	for _, s := range r.Statements {
		out = append(out, s.Index)
	}
	return out
}

// simRequests are request lines and the answers the seed 000 policy gives.
var simRequests = []struct {
	line  string
	want  string // decision, or "error"
	stmts []int
}{
	{`{"principal":"` + simBackup + `","action":"s3:GetObject","resource":"` + simBucket + `/a.csv","context":{"aws:SourceIp":"52.95.1.10"}}`, "deny", []int{0}},
	{`{"principal":"` + simAlice + `","action":"s3:GetBucketVersioning","resource":"` + simBucket + `","context":{"aws:SourceVpce":"` + simVpce + `"}}`, "none", []int{}},
	{`{"principal":"anonymous","action":"s3:ListBucket","resource":"` + simBucket + `"}`, "deny", []int{0}},
	{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"arn:aws:s3:::other-bucket/k"}`, "none", []int{}},
	{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/k","context":{"aws:SourceVpce":["` + simVpce + `"]}}`, "none", []int{}},
	{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/k","context":{"aws:SourceVpce":["` + simVpce + `","vpce-2"]}}`, "none", []int{}}, // two values: a plain operator is false (rewrite/internal/cond doc.go)
}

// TestStreamJSONLinesInOrder: one JSON line per request, in the input's
// order, with the deciding statements' indexes and Sids.
func TestStreamJSONLinesInOrder(t *testing.T) {
	var in strings.Builder
	for _, r := range simRequests {
		in.WriteString(r.line + "\n")
	}
	out, n, bad := stream(t, seed000(t), simOwner, true, in.String())
	if n != len(simRequests) || bad != 0 {
		t.Fatalf("%d requests, %d errors", n, bad)
	}
	res := simParseLines(t, out)
	if len(res) != len(simRequests) {
		t.Fatalf("%d results for %d requests", len(res), len(simRequests))
	}
	for i, r := range simRequests {
		if res[i].Decision != r.want || !reflect.DeepEqual(res[i].indexes(), r.stmts) {
			t.Errorf("line %d: %+v, want %s %v", i+1, res[i], r.want, r.stmts)
		}
		for _, s := range res[i].Statements {
			if s.Sid != "Statement1" {
				t.Errorf("line %d: sid %q", i+1, s.Sid)
			}
		}
	}
}

// TestStreamText: in text mode each verdict is numbered by its line, and
// errors are inline.
func TestStreamText(t *testing.T) {
	in := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/x"}` + "\n\nnot json\n"
	out, n, bad := stream(t, seed000(t), simOwner, false, in)
	if n != 2 || bad != 1 || !strings.Contains(out, "line 1: DENY: "+simAlice) || !strings.Contains(out, "error: line 3: not JSON") {
		t.Errorf("%d requests, %d errors:\n%s", n, bad, out)
	}
}

// TestDecide: a single request is written without a line number; one that
// cannot be decided is an error and writes nothing.
func TestDecide(t *testing.T) {
	var b bytes.Buffer
	s := New(seed000(t), simOwner, false, &b)
	if err := s.Decide(rewrite.Request{Principal: simAlice, Action: "s3:GetObject", Resource: simBucket + "/k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(rewrite.Request{Principal: "alice", Action: "s3:GetObject", Resource: simBucket}); err == nil || !strings.Contains(err.Error(), "not a principal ARN") {
		t.Errorf("Decide with a bad principal: %v", err)
	}
	s.Flush()
	if out := b.String(); !strings.HasPrefix(out, "DENY: "+simAlice+" s3:GetObject on "+simBucket+"/k\n") || strings.Count(out, "DENY") != 1 {
		t.Errorf("output:\n%s", out)
	}
}

// TestStreamErrorLines: a request that cannot be decided gets an error
// line in its place; the stream goes on and counts it.
func TestStreamErrorLines(t *testing.T) {
	good := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/k"}`
	lines := []struct{ line, errPart string }{
		{good, ""},
		{`not json`, "line 2: not JSON"},
		{`{"action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 3: missing "principal"`},
		{`{"principal":"` + simAlice + `","resource":"` + simBucket + `"}`, `line 4: missing "action"`},
		{`{"principal":"arn:aws:iam::0123:user/alice","action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 5: "arn:aws:iam::0123:user/alice": "0123" is not a 12-digit account ID`},
		{`{"principal":"alice","action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 6: "alice" is not a principal ARN`},
		{`{"principal":"` + simAlice + `","action":"GetObject","resource":"` + simBucket + `"}`, `line 7: "GetObject" is not an action`},
		{`{"principal":"` + simAlice + `","action":"s3:Get*","resource":"` + simBucket + `"}`, `line 8: "s3:Get*" is not an action`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"mtzml-20231208/k"}`, `line 9: "mtzml-20231208/k" is not a resource ARN`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","contxt":{}}`, `line 10: unknown field "contxt"`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","context":{"aws:SourceIp":{"a":1}}}`, `line 11: context "aws:SourceIp" must be a string or an array of strings`},
		{`{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `","context":{"aws:SourceIp":null}}`, `line 12: context "aws:SourceIp" must be`},
		{`["not","an","object"]`, "line 13: not a request"},
		{`{"principal":7,"action":"s3:GetObject","resource":"` + simBucket + `"}`, `line 14: "principal" must be a string, not a number`},
		{good + good, "line 15: not JSON Lines"},
		{good, ""},
	}
	var in strings.Builder
	for _, l := range lines {
		in.WriteString(l.line + "\n")
	}
	out, n, bad := stream(t, seed000(t), "", true, in.String())
	if n != 16 || bad != 14 {
		t.Errorf("%d requests, %d errors; want 16 and 14", n, bad)
	}
	res := simParseLines(t, out)
	if len(res) != len(lines) {
		t.Fatalf("%d output lines for %d requests:\n%s", len(res), len(lines), out)
	}
	for i, l := range lines {
		switch {
		case l.errPart == "" && (res[i].Error != "" || res[i].Decision != "deny"):
			t.Errorf("line %d: %+v, want a deny", i+1, res[i])
		case l.errPart != "" && (!strings.HasPrefix(res[i].Error, l.errPart) || res[i].Decision != "" || res[i].Statements != nil):
			t.Errorf("line %d: %+v, want only an error starting %q", i+1, res[i], l.errPart)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, `{"error"`) && strings.Contains(l, `"decision"`) {
			t.Errorf("error line with a decision: %s", l)
		}
	}
}

// TestStreamInputShapes: blank lines are skipped (line numbers still
// count them), CRLF line ends and a byte order mark are accepted, the last
// line may lack its newline, and an over-long line is an error line.
func TestStreamInputShapes(t *testing.T) {
	good := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/k"}`
	long := `{"principal":"` + simAlice + `","action":"s3:GetObject","resource":"` + simBucket + `/` + strings.Repeat("x", MaxLine) + `"}`
	in := "\xef\xbb\xbf" + good + "\r\n\r\n   \n" + long + "\n" + `{"principal":"bad"}` + "\n" + good
	p := seed000(t)
	out, n, bad := stream(t, p, "", true, in)
	res := simParseLines(t, out)
	if n != 4 || bad != 2 || len(res) != 4 {
		t.Fatalf("%d requests, %d errors, %d results: %s", n, bad, len(res), out)
	}
	if res[0].Decision != "deny" || res[3].Decision != "deny" {
		t.Errorf("results %+v", res)
	}
	if !strings.HasPrefix(res[1].Error, "line 4: the line is longer than") {
		t.Errorf("long line: %+v", res[1])
	}
	if !strings.HasPrefix(res[2].Error, "line 5: missing") {
		t.Errorf("line after the long one: %+v", res[2])
	}
	// An empty request stream gives no output and succeeds.
	out, n, bad = stream(t, p, "", true, "\n\n")
	if n != 0 || bad != 0 || out != "" {
		t.Errorf("empty stream: %d requests, %d errors, %q", n, bad, out)
	}
}

// simLineCounter counts output lines and decisions as they stream by, and
// samples the heap while the run goes on.
type simLineCounter struct {
	lines, deny, none, allow, errs int
	writes                         int
	peakHeap                       uint64
	partial                        []byte
}

func (c *simLineCounter) Write(p []byte) (int, error) {
	c.writes++
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.peakHeap = max(c.peakHeap, ms.HeapInuse)
	data := append(c.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		l := data[:i]
		c.lines++
		switch {
		case bytes.HasPrefix(l, []byte(`{"decision":"deny"`)):
			c.deny++
		case bytes.HasPrefix(l, []byte(`{"decision":"none"`)):
			c.none++
		case bytes.HasPrefix(l, []byte(`{"decision":"allow"`)):
			c.allow++
		case bytes.HasPrefix(l, []byte(`{"error"`)):
			c.errs++
		}
		data = data[i+1:]
	}
	c.partial = append(c.partial[:0], data...)
	return len(p), nil
}

// simWriteRequests writes n request lines against seed 000: every third
// comes through the VPC endpoint (none), the others do not (deny).
func simWriteRequests(t testing.TB, n int) (path string, wantDeny, wantNone int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "requests.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:GetObjectTagging", "s3:DeleteObject"}
	for i := 0; i < n; i++ {
		principal := simBackup
		switch i % 4 {
		case 1:
			principal = fmt.Sprintf("arn:aws:iam::012345678901:user/user%d", i%97)
		case 2:
			principal = "anonymous"
		case 3:
			principal = fmt.Sprintf("arn:aws:sts::444455556666:assumed-role/Reader/s%d", i%13)
		}
		ctx := fmt.Sprintf(`{"aws:SourceIp":"52.95.%d.%d","aws:userid":"AROAEXAMPLEROLEID0001:s%d"`, i%256, (i/256)%256, i)
		if i%3 == 0 {
			ctx += `,"aws:SourceVpce":"` + simVpce + `"`
			wantNone++
		} else {
			wantDeny++
		}
		ctx += `,"aws:TagKeys":["a","b"]}`
		fmt.Fprintf(w, `{"principal":%q,"action":%q,"resource":"%s/data/%06d/part:%d.parquet","context":%s}`+"\n",
			principal, actions[i%len(actions)], simBucket, i, i%7, ctx)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path, wantDeny, wantNone
}

// TestStreams100kInConstantMemory decides 100,000 generated requests
// from a file into a counting writer: one output line per request, in
// order of the input, with the heap in use bounded (the output is never
// held, the input never read whole).
func TestStreams100kInConstantMemory(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	path, wantDeny, wantNone := simWriteRequests(t, n)
	st, _ := os.Stat(path)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cnt := &simLineCounter{}
	bad, err := streamFile(seed000(t), path, cnt)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil || bad != 0 {
		t.Fatalf("%d errors: %v", bad, err)
	}
	if cnt.lines != n || cnt.deny != wantDeny || cnt.none != wantNone || cnt.allow != 0 || cnt.errs != 0 || len(cnt.partial) != 0 {
		t.Errorf("%d lines (deny %d, none %d, allow %d, errors %d), want %d (deny %d, none %d)", cnt.lines, cnt.deny, cnt.none, cnt.allow, cnt.errs, n, wantDeny, wantNone)
	}
	const bound = 64 << 20
	if cnt.peakHeap > bound {
		t.Errorf("heap in use peaked at %d MB while streaming; want under %d MB", cnt.peakHeap>>20, bound>>20)
	}
	t.Logf("%d requests (%.1f MB of JSON Lines): heap in use %.1f MB before, peak %.1f MB during (%d samples), %.1f MB after; %.1f MB allocated in all (%.0f B/request)",
		n, float64(st.Size())/1e6, float64(before.HeapInuse)/1e6, float64(cnt.peakHeap)/1e6, cnt.writes, float64(after.HeapInuse)/1e6,
		float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(after.TotalAlloc-before.TotalAlloc)/float64(n))
}

// BenchmarkJSONLines100k streams JSON Lines end to end (reading the file,
// decoding, deciding, encoding) on 100,000 request
// lines, and reports requests per second.
func BenchmarkJSONLines100k(b *testing.B) {
	const n = 100_000
	path, _, _ := simWriteRequests(b, n)
	p := seed000(b)
	b.ReportAllocs()
	for b.Loop() {
		if bad, err := streamFile(p, path, io.Discard); err != nil || bad != 0 {
			b.Fatalf("%d errors: %v", bad, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/n*1e9, "ns/request")
}

// FuzzDecode: the fast request decoder accepts only lines that
// encoding/json (decodeRequest) reads, and reads them the same way; whatever
// the line, decoding never panics.
func FuzzDecode(f *testing.F) {
	for _, r := range simRequests {
		f.Add([]byte(r.line))
	}
	for _, l := range []string{
		`{"principal":"a","action":"s3:GetObject","resource":"arn:aws:s3:::b","context":{}}`,
		`{"principal":"a","action":"b","resource":"c","context":{"k":[],"K":["x","y"]}}`,
		`{"principal":"a","principal":"b","action":"c","resource":"d"}`,
		`{"Principal":"a","action":"c","resource":"d"}`,
		`{"principal":"a\u0062","action":"c","resource":"d","context":{"k":1}}`,
		` { "principal" : "a" , "action" : "c" , "resource" : "d" } `,
		`{"principal":"a","action":"c","resource":"d"}}`,
		`{"principal":"a","action":"c","resource":"d","context":{"k":"v","k":"w"}}`,
		`{"principal":"é","action":"c","resource":"d","context":null}`,
	} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _ := rewrite.Parse([]byte(`{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`))
		sim := New(p, "", true, io.Discard)
		fast, fastOK := (&fastDecoder{b: b, s: sim}).request()
		slow, err := decodeRequest(b)
		got, err2 := New(p, "", true, io.Discard).decode(b)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("decode %q: %v, decodeRequest: %v", b, err2, err)
		}
		if !fastOK {
			return
		}
		if err != nil {
			t.Fatalf("fast decoder accepted %q, encoding/json refuses it: %v", b, err)
		}
		norm := func(r rewrite.Request) rewrite.Request {
			if len(r.Context) == 0 {
				r.Context = nil
			}
			return r
		}
		if !reflect.DeepEqual(norm(fast), norm(slow)) || !reflect.DeepEqual(norm(got), norm(slow)) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, fast, slow)
		}
	})
}

type simFailingWriter struct{ n int }

func (w *simFailingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, fmt.Errorf("broken pipe")
}

// TestStopsOnWriteError: when the output cannot be written the stream
// stops early with an error instead of deciding the rest of the input.
func TestStopsOnWriteError(t *testing.T) {
	path, _, _ := simWriteRequests(t, 20_000)
	w := &simFailingWriter{}
	_, err := streamFile(seed000(t), path, w)
	if err == nil || !strings.Contains(err.Error(), "writing the results: broken pipe") || w.n != 1 {
		t.Errorf("%d writes, error %v", w.n, err)
	}
}

// streamFile streams the request file path against p, as JSON Lines, into w.
func streamFile(p *rewrite.Policy, path string, w io.Writer) (bad int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := New(p, simOwner, true, w)
	_, bad, err = s.Stream(f)
	if ferr := s.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing the results: %v", ferr)
	}
	return bad, err
}

// TestParseContext: repeated keys are multivalued, in order; values keep
// their commas and '=' signs; a pair without a key is an error.
func TestParseContext(t *testing.T) {
	got, err := ParseContext([]string{"aws:TagKeys=a", "aws:SourceIp=192.0.2.10", "aws:TagKeys=b,c", "s3:x-amz-grant-read=id=abc=="})
	want := map[string][]string{"aws:TagKeys": {"a", "b,c"}, "aws:SourceIp": {"192.0.2.10"}, "s3:x-amz-grant-read": {"id=abc=="}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseContext = %v, %v; want %v", got, err, want)
	}
	if got, err := ParseContext(nil); got != nil || err != nil {
		t.Errorf("no pairs: %v, %v", got, err)
	}
	for _, bad := range []string{"aws:SourceIp", "=v", " =v"} {
		if _, err := ParseContext([]string{bad}); err == nil || err.Error() != fmt.Sprintf("%q is not key=value", bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
