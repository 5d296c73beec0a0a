package rewrite

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestFindings: Fix reports each change entry as data (statement, span,
// blocked actions, reasons, patch) that agrees with its prose, without a
// reader having to parse the prose.
func TestFindings(t *testing.T) {
	opt := Options{Facts: Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}}
	fix := func(t *testing.T, src string, opt Options) *Result {
		t.Helper()
		res, err := Fix([]byte(src), opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != len(res.Changes) {
			t.Fatalf("%d findings for %d changes", len(res.Findings), len(res.Changes))
		}
		for i, f := range res.Findings {
			if f.Change != res.Changes[i] {
				t.Errorf("finding %d: %+v, change %+v", i, f.Change, res.Changes[i])
			}
			if f.Span.IsZero() {
				t.Errorf("finding %d has no span", i)
				continue
			}
			text := src[f.Span.Start.Offset:f.Span.End.Offset]
			if !json.Valid([]byte(text)) || !strings.HasPrefix(text, "{") {
				t.Errorf("finding %d: span covers %q", i, text)
			}
			if f.Statement >= 0 && (f.Line != f.Span.Start.Line || !strings.Contains(text, `"Sid"`) == (f.Sid != "")) {
				t.Errorf("finding %d: line %d, span %+v, sid %q", i, f.Line, f.Span, f.Sid)
			}
			if f.Paragraph >= 0 && !strings.HasPrefix(res.Paragraphs[f.Paragraph], f.Label+" ") {
				t.Errorf("finding %d (%s) points at paragraph %q", i, f.Label, res.Paragraphs[f.Paragraph])
			}
		}
		return res
	}
	read := func(name string) string {
		b, err := os.ReadFile("../fixtures/" + name + "/policy.json")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("seed000", func(t *testing.T) {
		res := fix(t, read("seed000-vpce-only"), opt)
		if len(res.Findings) != 2 {
			t.Fatalf("findings %+v", res.Findings)
		}
		a, b := res.Findings[0], res.Findings[1]
		if a.Kind != KindExempt || a.Statement != 0 || a.Sid != "Statement1" || a.Label != `statement 1 (Sid "Statement1")` || a.Paragraph != 0 {
			t.Errorf("exemption %+v", a)
		}
		if a.Span.Start.Line != 4 || a.Span.Start.Col != 9 || a.Span.End.Line != 18 || a.Span.End.Col != 10 {
			t.Errorf("span %+v", a.Span)
		}
		if len(a.Actions) != len(BackupActions) {
			t.Errorf("blocked actions %v", a.Actions)
		}
		want := []Reason{{Operator: "StringNotEquals", Key: "aws:SourceVpce", Values: []string{"vpce-12345678901234567"}}}
		if !reflect.DeepEqual(a.Reasons, want) {
			t.Errorf("reasons %+v, want %+v", a.Reasons, want)
		}
		if p := a.Patch; p == nil || !reflect.DeepEqual(*p, Patch{Operator: "StringNotLike", Key: "aws:userid", Value: "AROAEXAMPLEROLEID0001:*"}) {
			t.Errorf("exemption patch %+v", p)
		}
		if b.Kind != KindSplit || b.Statement != 0 || b.Paragraph != 0 || b.Span != a.Span ||
			!reflect.DeepEqual(b.Actions, []string{"s3:GetBucketLocation", "s3:GetBucketVersioning"}) || len(b.With) != 0 {
			t.Errorf("split %+v", b)
		}
		if p := b.Patch; p == nil || p.SplitSid != "Statement1ConsoleRead" || p.Operator != "" || !reflect.DeepEqual(p.Carved, b.Actions) {
			t.Errorf("split patch %+v", p)
		}
	})

	t.Run("stale", func(t *testing.T) {
		res := fix(t, read("stale-role-id"), opt)
		if f := res.Findings[0]; f.Kind != KindStale || f.RoleID != "AROAOLDBACKUPROLE0001" || f.Paragraph != 0 {
			t.Errorf("stale %+v", f)
		}
		var exempt *Finding
		for i := range res.Findings {
			if res.Findings[i].Kind == KindExempt {
				exempt = &res.Findings[i]
			}
		}
		if exempt == nil || len(exempt.Reasons) != 2 || !exempt.Reasons[0].Present || exempt.Reasons[0].Key != "aws:userid" || exempt.Reasons[1].Present {
			t.Errorf("reasons %+v", exempt)
		}
	})

	t.Run("together", func(t *testing.T) {
		res := fix(t, read("disjoint-allow-lists"), opt)
		var split []Finding
		for _, f := range res.Findings {
			if f.Kind == KindSplit {
				split = append(split, f)
			}
		}
		if len(split) != 1 || split[0].Statement != 0 || !reflect.DeepEqual(split[0].With, []int{1}) {
			t.Errorf("split findings %+v", split)
		}
	})

	t.Run("narrowed", func(t *testing.T) {
		res := fix(t, read("only-console-actions"), opt)
		f := res.Findings[len(res.Findings)-1]
		if f.Kind != KindSplit || f.Patch == nil || f.Patch.SplitSid != "" ||
			f.Patch.Operator != "StringNotEquals" || f.Patch.Key != "aws:PrincipalAccount" || f.Patch.Value != "012345678901" {
			t.Errorf("narrowing %+v", f)
		}
	})

	t.Run("minified", func(t *testing.T) {
		src := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}},{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`
		res := fix(t, src, opt)
		cols := map[string]int{}
		for _, f := range res.Findings {
			cols[f.Sid] = f.Span.Start.Col16
		}
		if cols["A"] != 38 || cols["B"] <= 38 {
			t.Errorf("columns %v", cols)
		}
	})

	t.Run("refused", func(t *testing.T) {
		ids := make([]string, 400)
		for i := range ids {
			ids[i] = fmt.Sprintf(`"vpce-%017x"`, i)
		}
		src := "\n" + `{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":[` + strings.Join(ids, ",") + `]}}}]}` + "\n"
		res := fix(t, src, opt)
		if res.Status != StatusRefused {
			t.Fatalf("status %s", res.Status)
		}
		f := res.Findings[len(res.Findings)-1]
		if f.Kind != KindRefused || f.Statement != -1 || f.Label != "" || f.Paragraph != -1 || f.Span.Start.Line != 2 || f.Span.End.Offset != len(src)-1 {
			t.Errorf("refusal %+v", f)
		}
	})
}

// TestParseErrorPosition: a parse error carries its position as data, and
// its message is unchanged.
func TestParseErrorPosition(t *testing.T) {
	for _, tc := range []struct {
		src, msg                 string
		code                     string
		line, col, col16, offset int
	}{
		{"{\"Id\": \"😀\",}", `invalid JSON: line 1, column 11: trailing comma before '}'`, CodeJSONSyntax, 1, 11, 12, 13},
		{"{\n \"Version\": \"2012-10-17\",\n \"Statement\": []}", `line 3: Statement: is empty; a policy needs at least one statement`, "bad_value", 3, 15, 15, 42},
	} {
		_, err := Parse([]byte(tc.src))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%q: error %v is not a *Error", tc.src, err)
		}
		if err.Error() != tc.msg {
			t.Errorf("message %q, want %q", err, tc.msg)
		}
		if pe.Code != tc.code || pe.Line != tc.line || pe.Column != tc.col || pe.Column16 != tc.col16 || pe.Offset != tc.offset {
			t.Errorf("%q: %+v", tc.src, pe)
		}
	}
}
