package udiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestUnifiedExact(t *testing.T) {
	const hdr = "--- a/p.json\n+++ b/p.json\n"
	n := func(from, to int) string { // lines "from\n".."to\n"
		var sb strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&sb, "%d\n", i)
		}
		return sb.String()
	}
	// set returns n(1, to) with line k replaced by v, for each k, v pair.
	set := func(to int, kv ...any) string {
		ls := lines(n(1, to))
		for i := 0; i < len(kv); i += 2 {
			ls[kv[i].(int)-1] = kv[i+1].(string) + "\n"
		}
		return strings.Join(ls, "")
	}
	for _, tc := range []struct {
		name string
		a, b string
		ctx  int
		want string // without the header; "" means no diff at all
	}{
		{"equal", "a\nb\n", "a\nb\n", 3, ""},
		{"both empty", "", "", 3, ""},
		{"one-line change", "a\nb\nc\n", "a\nB\nc\n", 3,
			"@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"one-line file change", "a\n", "b\n", 3,
			"@@ -1 +1 @@\n-a\n+b\n"},
		{"change with context cut", n(1, 10), set(10, 5, "five"), 2,
			"@@ -3,5 +3,5 @@\n 3\n 4\n-5\n+five\n 6\n 7\n"},
		{"insert at start", "a\nb\n", "x\na\nb\n", 3,
			"@@ -1,2 +1,3 @@\n+x\n a\n b\n"},
		{"insert at start ctx0", "a\nb\n", "x\na\nb\n", 0,
			"@@ -0,0 +1 @@\n+x\n"},
		{"insert in middle", n(1, 8), n(1, 4) + "x\n" + n(5, 8), 3,
			"@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+x\n 5\n 6\n 7\n"},
		{"insert in middle ctx0", n(1, 8), n(1, 4) + "x\n" + n(5, 8), 0,
			"@@ -4,0 +5 @@\n+x\n"},
		{"insert at end", n(1, 5), n(1, 6), 3,
			"@@ -3,3 +3,4 @@\n 3\n 4\n 5\n+6\n"},
		{"insert at end ctx0", n(1, 5), n(1, 6), 0,
			"@@ -5,0 +6 @@\n+6\n"},
		{"delete", n(1, 8), n(1, 4) + n(6, 8), 1,
			"@@ -4,3 +4,2 @@\n 4\n-5\n 6\n"},
		{"delete ctx0", n(1, 8), n(1, 4) + n(6, 8), 0,
			"@@ -5 +4,0 @@\n-5\n"},
		{"delete first ctx0", n(1, 3), n(2, 3), 0,
			"@@ -1 +0,0 @@\n-1\n"},
		{"negative ctx is 0", n(1, 3), n(2, 3), -5,
			"@@ -1 +0,0 @@\n-1\n"},
		{"merged: gap of 2*ctx", n(1, 20), set(20, 5, "E", 12, "L"), 3,
			"@@ -2,14 +2,14 @@\n 2\n 3\n 4\n-5\n+E\n 6\n 7\n 8\n 9\n 10\n 11\n-12\n+L\n 13\n 14\n 15\n"},
		{"split: gap of 2*ctx+1", n(1, 20), set(20, 5, "E", 13, "M"), 3,
			"@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+E\n 6\n 7\n 8\n" +
				"@@ -10,7 +10,7 @@\n 10\n 11\n 12\n-13\n+M\n 14\n 15\n 16\n"},
		{"split ctx0", n(1, 5), set(5, 2, "B", 4, "D"), 0,
			"@@ -2 +2 @@\n-2\n+B\n@@ -4 +4 @@\n-4\n+D\n"},
		{"empty old", "", "x\ny\n", 3,
			"@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"empty new", "x\ny\n", "", 3,
			"@@ -1,2 +0,0 @@\n-x\n-y\n"},
		{"empty old, no newline", "", "x", 3,
			"@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\n"},
		{"no final newline, changed", "a\nb", "a\nc", 3,
			"@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"final newline added", "a\nb", "a\nb\n", 3,
			"@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"final newline removed", "a\nb\n", "a\nb", 3,
			"@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"},
		{"no final newline in context", "a\nb", "x\nb", 3,
			"@@ -1,2 +1,2 @@\n-a\n+x\n b\n\\ No newline at end of file\n"},
		{"CRLF", "a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n", 3,
			"@@ -1,3 +1,3 @@\n a\r\n-b\r\n+B\r\n c\r\n"},
		{"CRLF vs LF", "a\r\nb\n", "a\nb\n", 3,
			"@@ -1,2 +1,2 @@\n-a\r\n+a\n b\n"},
		{"lone CR stays in line", "a\rb\n", "a\rc\n", 3,
			"@@ -1 +1 @@\n-a\rb\n+a\rc\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Unified("a/p.json", "b/p.json", []byte(tc.a), []byte(tc.b), tc.ctx)
			want := tc.want
			if want != "" {
				want = hdr + want
			}
			if got != want {
				t.Fatalf("Unified() =\n%s\nwant\n%s\n(quoted: %q)", got, want, got)
			}
			if out, _, err := applyDiff(tc.a, got); err != nil || out != tc.b {
				t.Fatalf("applying the diff: %q, %v; want %q", out, err, tc.b)
			}
		})
	}
}

func TestUnifiedNames(t *testing.T) {
	got := Unified("bucket-policy (current)", "bucket-policy (fixed)", []byte("a\n"), []byte("b\n"), 3)
	if !strings.HasPrefix(got, "--- bucket-policy (current)\n+++ bucket-policy (fixed)\n@@ ") {
		t.Errorf("headers: %q", got)
	}
}

func TestUnifiedPolicySample(t *testing.T) {
	a := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject"
    }
  ]
}
`
	b := strings.Replace(a, `"Principal": "*"`, `"Principal": {"AWS": "arn:aws:iam::111122223333:root"}`, 1)
	want := `--- a/policy.json
+++ b/policy.json
@@ -3,7 +3,7 @@
   "Statement": [
     {
       "Effect": "Allow",
-      "Principal": "*",
+      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
       "Action": "s3:GetObject"
     }
   ]
`
	if got := Unified("a/policy.json", "b/policy.json", []byte(a), []byte(b), DefaultContext); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestUnifiedFallback checks the whole-replacement diff used for inputs
// too large for go-diff's line encoding.
func TestUnifiedFallback(t *testing.T) {
	defer func(n int) { maxLines = n }(maxLines)
	maxLines = 4
	a, b := "1\n2\n3\n4\n5", "1\n2\nx\n4\n5\n"
	got := Unified("a", "b", []byte(a), []byte(b), 3)
	want := "--- a\n+++ b\n@@ -1,5 +1,5 @@\n-1\n-2\n-3\n-4\n-5\n\\ No newline at end of file\n+1\n+2\n+x\n+4\n+5\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if out, _, err := applyDiff(a, got); err != nil || out != b {
		t.Errorf("apply: %q, %v", out, err)
	}
}

// randomPair returns a random text and a random line edit of it. Lines come
// from a small vocabulary so that repeats make the alignment ambiguous;
// some use CRLF, and either side may lack a final newline or be empty.
func randomPair(r *rand.Rand) (a, b string) {
	vocab := []string{"a\n", "b\n", "c\n", "{\n", "}\n", "  \"x\": 1,\n", "\n", "d\r\n", "e\r\n", "é ü\n"}
	n := r.IntN(25)
	if r.IntN(10) == 0 {
		n = 0
	}
	var la []string
	for range n {
		la = append(la, vocab[r.IntN(len(vocab))])
	}
	lb := append([]string(nil), la...)
	for range r.IntN(6) {
		switch op := r.IntN(3); {
		case op == 0 || len(lb) == 0: // insert a run
			i := r.IntN(len(lb) + 1)
			var ins []string
			for range 1 + r.IntN(3) {
				ins = append(ins, vocab[r.IntN(len(vocab))])
			}
			lb = append(lb[:i], append(ins, lb[i:]...)...)
		case op == 1: // delete a run
			i := r.IntN(len(lb))
			j := min(len(lb), i+1+r.IntN(3))
			lb = append(lb[:i], lb[j:]...)
		default: // replace a line
			lb[r.IntN(len(lb))] = vocab[r.IntN(len(vocab))]
		}
	}
	if r.IntN(15) == 0 {
		lb = nil
	}
	a, b = strings.Join(la, ""), strings.Join(lb, "")
	if r.IntN(4) == 0 {
		a = strings.TrimSuffix(a, "\n")
	}
	if r.IntN(4) == 0 {
		b = strings.TrimSuffix(b, "\n")
	}
	return a, b
}

// checkHunkShape checks GNU diff's hunk shape: ctx lines of context around
// the changes (fewer only at the start or end of the file), hunks with at
// least one change, and gaps of more than 2*ctx lines between hunks.
func checkHunkShape(t *testing.T, a string, hunks []hunk, ctx int) {
	t.Helper()
	oldLines := len(lines(a))
	prevEnd := -1
	for _, h := range hunks {
		lead, trail, changes := 0, 0, 0
		for _, l := range h.Lines {
			if l.op != ' ' {
				changes++
				break
			}
			lead++
		}
		for i := len(h.Lines) - 1; i >= 0 && h.Lines[i].op == ' '; i-- {
			trail++
		}
		if changes == 0 {
			t.Errorf("hunk %q has no changes", h.Header)
			continue
		}
		first := h.OldAt // 1-based number of the first old line in the hunk
		if h.OldN == 0 {
			first = h.OldAt + 1
		}
		end := first - 1 + h.OldN // last old line covered
		// Fewer than ctx context lines only where the file starts or ends.
		if lead > ctx || (lead < ctx && first > 1) {
			t.Errorf("hunk %q: %d leading context lines with ctx %d", h.Header, lead, ctx)
		}
		if trail > ctx || (trail < ctx && end < oldLines) {
			t.Errorf("hunk %q: %d trailing context lines with ctx %d", h.Header, trail, ctx)
		}
		if prevEnd >= 0 && first-1 <= prevEnd {
			t.Errorf("hunk %q touches or overlaps the previous hunk (ends at old line %d)", h.Header, prevEnd)
		}
		prevEnd = end
	}
}

func TestUnifiedRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 800 {
		a, b := randomPair(r)
		ctx := r.IntN(5)
		d := Unified("a", "b", []byte(a), []byte(b), ctx)
		if (d == "") != (a == b) {
			t.Fatalf("case %d: diff %q for a=%q b=%q", i, d, a, b)
		}
		out, hunks, err := applyDiff(a, d)
		if err != nil || out != b {
			t.Fatalf("case %d (ctx %d): a=%q b=%q\ndiff:\n%s\napplied: %q, %v", i, ctx, a, b, d, out, err)
		}
		checkHunkShape(t, a, hunks, ctx)
		if got := stripANSI(Colorize(d)); got != d {
			t.Fatalf("case %d: Colorize changed the text:\n%q\n%q", i, got, d)
		}
		if t.Failed() {
			t.Fatalf("case %d (ctx %d): a=%q b=%q\ndiff:\n%s", i, ctx, a, b, d)
		}
	}
}

// TestUnifiedGNUPatch applies random diffs with GNU patch, when installed.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

func TestColorize(t *testing.T) {
	diff := Unified("a/p.json", "b/p.json",
		[]byte("keep\n-- old rule\nx\nlast"),
		[]byte("keep\n++ new rule\nx\nlast\n"), 3)
	want := "\x1b[1m--- a/p.json\x1b[0m\n" +
		"\x1b[1m+++ b/p.json\x1b[0m\n" +
		"\x1b[36m@@ -1,4 +1,4 @@\x1b[0m\n" +
		" keep\n" +
		"\x1b[31m--- old rule\x1b[0m\n" + // a removed line that looks like a header
		"\x1b[32m+++ new rule\x1b[0m\n" + // an added line that looks like a header
		" x\n" +
		"\x1b[31m-last\x1b[0m\n" +
		"\\ No newline at end of file\n" +
		"\x1b[32m+last\x1b[0m\n"
	if got := Colorize(diff); got != want {
		t.Errorf("Colorize =\n%q\nwant\n%q", got, want)
	}

	crlf := Unified("a", "b", []byte("x\r\ny\r\n"), []byte("x\r\nz\r\n"), 3)
	wantCRLF := "\x1b[1m--- a\x1b[0m\n\x1b[1m+++ b\x1b[0m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n x\r\n\x1b[31m-y\x1b[0m\r\n\x1b[32m+z\x1b[0m\r\n"
	if got := Colorize(crlf); got != wantCRLF {
		t.Errorf("Colorize(CRLF) =\n%q\nwant\n%q", got, wantCRLF)
	}

	if Colorize("") != "" {
		t.Error(`Colorize("") != ""`)
	}
	// Text that is not a well-formed diff is coloured by prefix, without
	// panicking, and never loses text.
	for _, s := range []string{"-a\n+b\nplain", "@@ -1,x +1 @@\n-a\n", "@@ -1,2 +1 @@\n-a\n", "@@ -1 +1 @@\nnot a hunk line\n+b\n", "@@\n", "\n\n", "-", "@@ -1,3 +1,3 @@\n a\n\n b\n"} {
		if got := stripANSI(Colorize(s)); got != s {
			t.Errorf("Colorize(%q) lost text: %q", s, got)
		}
	}
	if got, want := Colorize("junk\n-a\n"), "junk\n\x1b[31m-a\x1b[0m\n"; got != want {
		t.Errorf("Colorize(junk) = %q, want %q", got, want)
	}
}

// policyJSON returns an indented ~20 KB bucket-policy-like JSON document.
func policyJSON(tb testing.TB, statements int, variant int) []byte {
	type stmt struct {
		Sid       string
		Effect    string
		Principal map[string]any
		Action    []string
		Resource  []string
		Condition map[string]map[string]string `json:",omitempty"`
	}
	var ss []stmt
	for i := range statements {
		s := stmt{
			Sid:       fmt.Sprintf("Stmt%03d", i),
			Effect:    "Allow",
			Principal: map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%012d:role/app-%d", 111122223333+i, i)},
			Action:    []string{"s3:GetObject", "s3:PutObject", "s3:GetBucketLocation"},
			Resource:  []string{"arn:aws:s3:::example-bucket", fmt.Sprintf("arn:aws:s3:::example-bucket/prefix-%d/*", i)},
		}
		if i%3 == 0 {
			s.Condition = map[string]map[string]string{"Bool": {"aws:SecureTransport": "true"}}
		}
		if variant == 1 && i%20 == 7 { // a few changed lines
			s.Effect = "Deny"
		}
		ss = append(ss, s)
	}
	b, err := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": ss}, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, '\n')
}

func TestPolicyJSONBench(t *testing.T) {
	a, b := policyJSON(t, 50, 0), policyJSON(t, 50, 1)
	if len(a) < 18_000 || len(a) > 24_000 {
		t.Errorf("benchmark document is %d bytes, want about 20 KB", len(a))
	}
	d := Unified("a", "b", a, b, DefaultContext)
	if out, _, err := applyDiff(string(a), d); err != nil || out != string(b) {
		t.Fatalf("round trip failed: %v", err)
	}
	if n := strings.Count(d, "\n-    "); n < 2 {
		t.Errorf("expected a few changed lines, diff:\n%s", d)
	}
}

func BenchmarkUnified20KB(b *testing.B) {
	x, y := policyJSON(b, 50, 0), policyJSON(b, 50, 1)
	b.SetBytes(int64(len(x)))
	b.ReportAllocs()
	for b.Loop() {
		Unified("a/policy.json", "b/policy.json", x, y, DefaultContext)
	}
}

func BenchmarkColorize20KB(b *testing.B) {
	d := Unified("a/policy.json", "b/policy.json", policyJSON(b, 50, 0), policyJSON(b, 50, 1), 50)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		Colorize(d)
	}
}

func FuzzUnified(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nB\nc\n"), uint8(3))
	f.Add([]byte(""), []byte("x"), uint8(0))
	f.Add([]byte("x\r\ny"), []byte("y\r\nx\n"), uint8(1))
	f.Add([]byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n"), []byte("1\n2\nx\n4\n5\n6\n7\ny\n9"), uint8(2))
	f.Add([]byte("\xff\xfe\n\x00\n"), []byte("\xed\xa0\x80\n\x00"), uint8(3))
	f.Fuzz(func(t *testing.T, a, b []byte, ctx uint8) {
		c := int(ctx % 8)
		d := Unified("a", "b", a, b, c)
		if (d == "") != bytes.Equal(a, b) {
			t.Fatalf("diff %q for a=%q b=%q", d, a, b)
		}
		out, hunks, err := applyDiff(string(a), d)
		if err != nil || out != string(b) {
			t.Fatalf("a=%q b=%q ctx=%d\ndiff:\n%s\napplied: %q, %v", a, b, c, d, out, err)
		}
		checkHunkShape(t, string(a), hunks, c)
		if col := Colorize(d); !strings.Contains(d, "\x1b") && stripANSI(col) != d {
			t.Fatalf("Colorize changed the text: %q", col)
		}
	})
}

// TestPatienceKeepsStatementsInPlace: a changed line inside an unchanged
// statement stays with that statement, and an inserted statement that
// repeats one of its lines is shown whole as new, not as the old line
// moved into it (issue 13, item 21; fixtures stale-role-id and
// userid-key-spelling show it on real reports).
func TestPatienceKeepsStatementsInPlace(t *testing.T) {
	a := "{\n  \"Sid\": \"A\",\n  \"Cond\": \"old\",\n  \"Resource\": \"r1\"\n},\n"
	b := "{\n  \"Sid\": \"A\",\n  \"Cond\": [\"old\", \"new\"],\n  \"Resource\": \"r1\"\n},\n{\n  \"Sid\": \"B\",\n  \"Cond\": \"old\",\n  \"Resource\": \"r2\"\n},\n"
	d := Unified("a", "b", []byte(a), []byte(b), 3)
	want := "-  \"Cond\": \"old\",\n+  \"Cond\": [\"old\", \"new\"],\n"
	if !strings.Contains(d, want) {
		t.Errorf("the changed line is not replaced in place:\n%s", d)
	}
}
