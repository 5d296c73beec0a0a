package rewrite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// deny wraps one Deny statement's JSON fields in a policy.
func denyPolicy(fields string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny",` + fields + `}]}`
}

// TestDeltaMissedChanges: the changes the enumeration missed (issue: "It
// misses real changes"), and pairs that must stay equivalent, with AWS's
// rules for multi-valued keys (IAM User Guide, "Single-valued vs.
// multivalued context keys": a plain operator on a multivalued key matches
// only a single value; ForAnyValue is false when the key is absent,
// ForAllValues true).
func TestDeltaMissedChanges(t *testing.T) {
	const who = `"Principal":{"AWS":"arn:aws:iam::111122223333:root"},`
	const put = `"Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",`
	tests := []struct {
		name   string
		a, b   string
		equiv  bool
		want   []string // substrings of some class, when not equivalent
		values int      // the example's number of values for wantKey, when > 0
		key    string
	}{
		{
			name:  "resource widened to every resource reaches objects",
			a:     denyPolicy(who + `"Action":["s3:GetObjectVersion","s3:DeleteObject","s3:GetBucketPolicy"],"Resource":["arn:aws:s3:::b"]`),
			b:     denyPolicy(who + `"Action":["s3:GetObjectVersion","s3:DeleteObject","s3:GetBucketPolicy"],"Resource":"*"`),
			want:  []string{"principals of account 111122223333", "s3:DeleteObject and s3:GetObjectVersion", "objects in arn:aws:s3:::b", "none → deny"},
			equiv: false,
		},
		{
			name:   "plain StringEquals vs ForAnyValue on a multi-valued key",
			a:      denyPolicy(put + `"Condition":{"StringEquals":{"s3:RequestObjectTagKeys":"secret"}}`),
			b:      denyPolicy(put + `"Condition":{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":"secret"}}`),
			want:   []string{"s3:RequestObjectTagKeys including secret", "two or more values", "none → deny"},
			key:    "s3:requestobjecttagkeys",
			values: 2,
		},
		{
			name: "two ForAnyValue operators on aws:TagKeys",
			a:    denyPolicy(put + `"Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`),
			b:    denyPolicy(put + `"Condition":{"ForAnyValue:StringEqualsIgnoreCase":{"aws:TagKeys":["a","b"]}}`),
			want: []string{"aws:TagKeys including \"A\"", "none → deny"},
		},
		{
			name: "ForAllValues vs ForAnyValue differ when the key is absent",
			a:    denyPolicy(put + `"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`),
			b:    denyPolicy(put + `"Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`),
			want: []string{"aws:TagKeys absent", "deny → none"},
		},
		{
			name:  "StringLike without wildcards is StringEquals",
			a:     denyPolicy(put + `"Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`),
			b:     denyPolicy(put + `"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a","b"]}}`),
			equiv: true,
		},
		{
			name:  "ForAnyValue on a single-valued key is the plain operator",
			a:     denyPolicy(put + `"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`),
			b:     denyPolicy(put + `"Condition":{"ForAnyValue:StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`),
			equiv: false, // absent: StringNotEquals is true, ForAnyValue false
			want:  []string{"aws:SourceVpce absent", "deny → none"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustParse(t, []byte(tc.a)), mustParse(t, []byte(tc.b))
			d, err := Delta(a, b, DeltaOptions{Owner: "123456789012"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Equivalent != tc.equiv {
				t.Fatalf("Equivalent = %v, want %v; classes %v", d.Equivalent, tc.equiv, d.Changes)
			}
			if tc.equiv {
				return
			}
			found := false
			for _, c := range d.Changes {
				s := c.String()
				ok := true
				for _, w := range tc.want {
					ok = ok && strings.Contains(s, w)
				}
				if !ok {
					continue
				}
				found = true
				if tc.values > 0 && len(c.Example.Context[tc.key]) != tc.values {
					t.Errorf("example %v: %d values of %s, want %d", c.Example, len(c.Example.Context[tc.key]), tc.key, tc.values)
				}
			}
			if !found {
				t.Errorf("no class with %q in %v", tc.want, d.Changes)
			}
			for _, c := range d.Changes {
				ex, err := Prepare(c.Example)
				if err != nil {
					t.Fatal(err)
				}
				if got := a.Decide(ex, "123456789012").Decision; got != c.Before {
					t.Errorf("%s: example decides %s before", c, got)
				}
				if got := b.Decide(ex, "123456789012").Decision; got != c.After {
					t.Errorf("%s: example decides %s after", c, got)
				}
			}
		})
	}
}

func analyzeOne(t *testing.T, stmts ...string) *Analysis {
	t.Helper()
	p := mustParse(t, []byte(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`))
	an, err := Analyze(p, Facts{Bucket: "b", AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"})
	if err != nil {
		t.Fatal(err)
	}
	return an
}

func denyStmt(sid, actions, cond string) string {
	return `{"Sid":"` + sid + `","Effect":"Deny","Principal":"*","Action":` + actions + `,"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":` + cond + `}`
}

// TestBackupModelGuards: statements AWS Backup never trips are left alone
// (backupSpace cites the AWS sources), and their unsafe variants are not.
func TestBackupModelGuards(t *testing.T) {
	tests := []struct {
		cond   string
		blocks bool
	}{
		{`{"NumericLessThan":{"s3:TlsVersion":"1.2"}}`, false},
		{`{"NumericLessThan":{"s3:TlsVersion":"1.3"}}`, true}, // TLS 1.2 is denied
		{`{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, false},
		{`{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, true},
		{`{"Null":{"aws:MultiFactorAuthAge":"true"}}`, true},
		{`{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"false"}}`, false},
		{`{"StringEquals":{"s3:x-amz-acl":["public-read","public-read-write","authenticated-read"]}}`, false},
		{`{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`, true},
		{`{"Bool":{"aws:SecureTransport":"false"}}`, false},
		{`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`, true},
	}
	for _, tc := range tests {
		an := analyzeOne(t, denyStmt("S", `"s3:*"`, tc.cond))
		blocks := len(an.Blocks) > 0 && len(an.Blocks[0].BackupActions) > 0
		if blocks != tc.blocks {
			t.Errorf("%s: blocks AWS Backup = %v, want %v", tc.cond, blocks, tc.blocks)
		}
	}
}

// TestConsoleJudgedTogether: Denies whose allow-lists are disjoint lock the
// console out together; the smallest set is split, ties to the earliest.
func TestConsoleJudgedTogether(t *testing.T) {
	office := denyStmt("Office", `"s3:*"`, `{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`)
	dc := denyStmt("DC", `"s3:*"`, `{"NotIpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}`)
	wide := denyStmt("Wide", `"s3:*"`, `{"NotIpAddress":{"aws:SourceIp":["198.51.100.0/24","192.0.2.0/24"]}}`)
	vpce := denyStmt("Vpce", `"s3:*"`, `{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`)
	tests := []struct {
		name  string
		stmts []string
		split []string // Sids whose console reads are split
		with  map[string][]string
	}{
		{"each alone leaves a source", []string{office}, nil, nil},
		{"disjoint allow-lists", []string{office, dc}, []string{"Office"}, map[string][]string{"Office": {"DC"}}},
		{"disjoint, other order", []string{dc, office}, []string{"DC"}, map[string][]string{"DC": {"Office"}}},
		{"overlapping allow-lists", []string{office, wide}, nil, nil},
		{"a statement that denies alone", []string{office, vpce}, []string{"Vpce"}, nil},
		{"three statements, one split is enough", []string{office, wide, dc}, []string{"Office"}, map[string][]string{"Office": {"Wide", "DC"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			an := analyzeOne(t, tc.stmts...)
			var split []string
			for _, b := range an.Blocks {
				if len(b.ConsoleActions) == 0 {
					continue
				}
				split = append(split, b.Stmt.Sid)
				var with []string
				for _, w := range b.ConsoleWith {
					with = append(with, w.Sid)
				}
				if strings.Join(with, ",") != strings.Join(tc.with[b.Stmt.Sid], ",") {
					t.Errorf("%s: split together with %v, want %v", b.Stmt.Sid, with, tc.with[b.Stmt.Sid])
				}
			}
			if strings.Join(split, ",") != strings.Join(tc.split, ",") {
				t.Errorf("split %v, want %v", split, tc.split)
			}
		})
	}
}

// TestOrgAssumption: offline, the organization a policy names is taken as
// the account's own and said so; known to be in none, the key is absent and
// the Deny blocks AWS Backup (IAM User Guide, aws:PrincipalOrgID: present
// only for accounts in an organization).
func TestOrgAssumption(t *testing.T) {
	p := mustParse(t, []byte(`{"Version":"2012-10-17","Statement":[`+denyStmt("Org", `"s3:*"`, `{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}`)+`]}`))
	f := Facts{Bucket: "b", AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}
	for _, tc := range []struct {
		name            string
		orgID           string
		noOrg           bool
		assumed         string
		blocksBackupToo bool
	}{
		{"assumed from the policy", "", false, "o-abc123def4", false},
		{"given", "o-abc123def4", false, "", false},
		{"another organization", "o-zzzzzzzzzz", false, "", true},
		{"in no organization", "", true, "", true},
	} {
		g := f
		g.OrgID, g.NoOrg = tc.orgID, tc.noOrg
		an, err := Analyze(p, g)
		if err != nil {
			t.Fatal(err)
		}
		if an.OrgAssumed != tc.assumed {
			t.Errorf("%s: OrgAssumed %q, want %q", tc.name, an.OrgAssumed, tc.assumed)
		}
		blocks := len(an.Blocks) > 0 && len(an.Blocks[0].BackupActions) > 0
		if blocks != tc.blocksBackupToo {
			t.Errorf("%s: blocks AWS Backup = %v, want %v", tc.name, blocks, tc.blocksBackupToo)
		}
	}
}

// TestExactWitnesses: the shortcut for literal-only string conditions has
// exactly the behaviours cond.Witnesses finds.
func TestExactWitnesses(t *testing.T) {
	ops := []string{"StringEquals", "StringNotEquals", "ForAnyValue:StringEquals", "StringNotEqualsIfExists", "StringLike", "ForAllValues:StringNotLike", "StringNotLike"}
	vals := [][]string{{"a"}, {"a", "b"}, {"vpce-1", "vpce-2", ""}, {"A"}, {"b", "c"}, {"home/*", "home/a*"}, {"*"}, {"p01/*", "p0*", "p01/x"}, {"ab*", "a"}}
	checked := 0
	defer func() {
		if checked < 100 {
			t.Errorf("only %d cases took the shortcut", checked)
		}
	}()
	for i := 0; i < 200; i++ {
		var kcs []cond.KeyCond
		for j := 0; j <= i%4; j++ {
			kcs = append(kcs, cond.KeyCond{Op: mustOp(ops[(i+j)%len(ops)]), Values: vals[(i*7+j)%len(vals)]})
		}
		short, ok := exactWitnesses(kcs)
		if !ok {
			continue // a wildcard the shortcut does not take
		}
		checked++
		d := &keyDom{kcs: kcs}
		vecs := func(ws []string) map[string]bool {
			m := map[string]bool{}
			for _, w := range ws {
				m[d.vector(w)] = true
			}
			return m
		}
		a, b := vecs(short), vecs(cond.Witnesses(kcs))
		for v := range b {
			if !a[v] {
				t.Fatalf("%v: cond.Witnesses shows behaviour %s that the shortcut %q misses", kcs, v, short)
			}
		}
		for v := range a {
			if !b[v] {
				t.Fatalf("%v: the shortcut shows behaviour %s that cond.Witnesses lacks", kcs, v)
			}
		}
	}
}

// TestConsoleCallersNamed: the split is explained for the principals of the
// account the statement leaves without the console's reads: every one of
// them, or those it names when some keep a way in (issue 13, item 17: "to
// the account's root user" suggested only root was affected).
func TestConsoleCallersNamed(t *testing.T) {
	facts := Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}
	for _, tc := range []struct{ cond, want string }{
		{`{"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}`, "every principal of the account (its root user, IAM users and role sessions)"},
		{`{"StringNotEquals": {"aws:SourceVpce": "vpce-1", "aws:PrincipalType": "User"}}`, "the account's root user and a role session of the account"},
	} {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":` + tc.cond + `}]}`
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		an, err := Analyze(p, facts)
		if err != nil {
			t.Fatal(err)
		}
		if len(an.Blocks) != 1 || an.Blocks[0].ConsoleCaller != tc.want {
			t.Errorf("%s: console callers %q, want %q", tc.cond, an.Blocks[0].ConsoleCaller, tc.want)
		}
	}
}

// TestLongRangeListsSummarised: an access change over a key with 800
// address ranges names a few and counts the rest (issue 13, item 22: one
// line listed all 800, 14 KB).
func TestLongRangeListsSummarised(t *testing.T) {
	var cidrs []string
	for i := range 800 {
		cidrs = append(cidrs, fmt.Sprintf(`"10.%d.%d.0/24"`, i/256, i%256))
	}
	mk := func(extra string) *Policy {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":[` + strings.Join(cidrs, ",") + extra + `]}}}]}`
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	all, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Delta(mk(""), all, DeltaOptions{Owner: "012345678901"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Equivalent || len(d.Changes) == 0 {
		t.Fatalf("no change found")
	}
	for _, c := range d.Changes {
		if s := c.String(); len(s) > 1000 || !strings.Contains(s, "more ranges") {
			t.Errorf("change of %d bytes, want a summary: %.300s", len(s), s)
		}
	}
}
