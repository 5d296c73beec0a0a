package rewrite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

const defaultFixtureArgs = "--role-id AROAEXAMPLEROLEID0001 --account-id 012345678901"

type fixture struct {
	name string
	src  []byte
	opt  Options
}

// loadFixtures reads every fixtures/<name>/policy.json with its args file,
// which holds the fixpolicy flags the case runs with.
func loadFixtures(t testing.TB) []fixture {
	dirs, err := filepath.Glob("../fixtures/*/policy.json")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures found: %v", err)
	}
	var out []fixture
	for _, p := range dirs {
		dir := filepath.Dir(p)
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		args := defaultFixtureArgs
		if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
			args = string(b)
		}
		out = append(out, fixture{name: filepath.Base(dir), src: src, opt: optionsFromArgs(t, args)})
	}
	return out
}

// loadIaCFixtures reads the policies the Terraform, CloudFormation and plan
// locators extract from their fixtures (their golden located documents),
// with the account and partition symbols written as the account and "aws"
// and the others kept as placeholders, literals no real value equals, as
// the analysis of a source sees them: the invariants cover those policies
// too.
func loadIaCFixtures(t testing.TB) []fixture {
	var files []string
	for _, pat := range []string{"../fixtures/iac/*/*/want.located*.json", "../fixtures/iac/*/*/want.documents.json"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	var out []fixture
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			Target      string          `json:"target"`
			Bucket      string          `json:"bucket"`
			Policy      json.RawMessage `json:"policy"`
			Symbols     []struct{ Placeholder, Role string }
			Unsupported string `json:"unsupported"`
		}
		if err := json.Unmarshal(b, &docs); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, d := range docs {
			if len(d.Policy) == 0 || d.Policy[0] != '{' || d.Unsupported != "" {
				continue // not analysable, or a file to follow
			}
			src := string(d.Policy)
			for _, s := range d.Symbols {
				switch s.Role {
				case "account":
					src = strings.ReplaceAll(src, s.Placeholder+`"`, `012345678901"`)
					src = strings.ReplaceAll(src, s.Placeholder+`:`, `012345678901:`)
				case "partition":
					src = strings.ReplaceAll(src, s.Placeholder+`:`, `aws:`)
				}
			}
			typed, _ := iac.TypedStandIns([]byte(src)) // as the caller analyses it
			src = string(typed)
			opt := optionsFromArgs(t, defaultFixtureArgs)
			opt.Facts.Bucket = d.Bucket
			rel, _ := filepath.Rel("../fixtures", filepath.Dir(file))
			out = append(out, fixture{name: rel + "/" + d.Target, src: []byte(src), opt: opt})
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d policies from the IaC fixtures", len(out))
	}
	return out
}

func optionsFromArgs(t testing.TB, args string) Options {
	var o Options
	f := strings.Fields(args)
	for i := 0; i < len(f); i++ {
		next := func() string { i++; return f[i] }
		switch f[i] {
		case "--role-id":
			o.Facts.RoleID = next()
		case "--account-id":
			o.Facts.AccountID = next()
		case "--org-id":
			o.Facts.OrgID = next()
		case "--bucket":
			o.Facts.Bucket = next()
		case "--role-name":
			o.Facts.RoleName = next()
		case "--no-split":
			o.NoSplit = true
		case "--exempt-by":
			o.ExemptBy = ExemptBy(next())
		default:
			t.Fatalf("fixture args: unknown flag %q", f[i])
		}
	}
	return o
}

// TestFixtureInvariants checks the patch invariants 1 to 5 (package
// documentation, "The patch") for every
// fixture by deciding the policy before and after the patch on an enumerated
// set of requests. The enumeration is built here, independently of the
// verifier inside Fix, from the policies' literals.
func TestFixtureInvariants(t *testing.T) {
	for _, fx := range append(loadFixtures(t), loadIaCFixtures(t)...) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			res, err := Fix(fx.src, fx.opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status == StatusRefused {
				t.Skipf("refused: %s", res.Refusal)
			}
			before, err := Parse(res.Before)
			if err != nil {
				t.Fatal(err)
			}
			after, err := Parse(res.After)
			if err != nil {
				t.Fatalf("patched policy does not parse: %v", err)
			}
			f := fx.opt.Facts
			if f.Bucket == "" {
				f.Bucket, _ = bucketFromPolicy(before)
			}
			if f.RoleName == "" {
				f.RoleName = DefaultRoleName
			}
			checkInvariants(t, before, after, res, fx.opt, f)
		})
	}
}

func checkInvariants(t *testing.T, before, after *Policy, res *Result, opt Options, f Facts) {
	t.Helper()
	// 5. size
	if n := len(after.Compact()); n > MaxPolicySize {
		t.Errorf("invariant 5: %d bytes", n)
	}
	// 4. compliant policies come back byte for byte; untouched statements keep their text.
	if res.Status == StatusCompliant && !bytes.Equal(res.Before, res.After) {
		t.Errorf("invariant 4: a compliant policy was changed")
	}
	touched := map[int]bool{}
	for _, c := range res.Changes {
		if c.Kind == KindExempt || c.Kind == KindSplit {
			touched[c.Statement] = true
		}
	}
	afterTexts := map[string]bool{}
	sids := map[string]bool{}
	for _, s := range after.Statements {
		afterTexts[string(jsonast.Render(s.Node))] = true
		if s.Sid != "" {
			if sids[s.Sid] {
				t.Errorf("invariant 4: duplicate Sid %q", s.Sid)
			}
			sids[s.Sid] = true
		}
	}
	for _, s := range before.Statements {
		if !touched[s.Index] && !afterTexts[string(jsonast.Render(s.Node))] {
			t.Errorf("invariant 4: untouched %s changed its text", s.Label())
		}
	}
	// 3. idempotent
	again, err := Fix(res.After, opt)
	if err != nil {
		t.Fatalf("invariant 3: %v", err)
	}
	if !bytes.Equal(again.After, res.After) || again.Status != StatusCompliant && !(opt.NoSplit && again.Status == StatusCompliant) {
		if !bytes.Equal(again.After, res.After) {
			t.Errorf("invariant 3: fixing the output changes it again")
		}
	}
	// 1 and 2 on enumerated requests.
	reqs := enumerate(f, before, after)
	if len(reqs) < 100 {
		t.Fatalf("only %d requests enumerated", len(reqs))
	}
	changed := 0
	for _, er := range reqs {
		db := before.Decide(er.r, f.AccountID)
		da := after.Decide(er.r, f.AccountID)
		if er.backupModel && isBackupAction(er.r.Action) && da.Decision == Deny {
			t.Errorf("invariant 1: AWS Backup still denied %s on %s by statements %v", er.r.Action, er.r.Resource, da.Statements)
		}
		if (db.Decision == Deny) == (da.Decision == Deny) && db.Decision == da.Decision {
			continue
		}
		changed++
		ok := false
		switch {
		case db.Decision == Deny && da.Decision != Deny && (er.backup || opt.ExemptBy == ExemptByPrincipalARN && er.r.Caller.Kind == AssumedRole && er.r.Caller.Name == f.RoleName && er.r.Caller.Account == f.AccountID):
			ok = true // (a) the backup role's sessions
		case db.Decision == Deny && da.Decision != Deny && er.account && isConsoleAction(er.r.Action):
			ok = true // (b) the console's two reads by the account's principals
		}
		if !ok {
			t.Errorf("invariant 2: decision changed %s → %s for %s %s on %s ctx=%v", db.Decision, da.Decision, er.r.Caller.ARN, er.r.Action, er.r.Resource, er.r.Ctx)
			return
		}
	}
	if res.Changed() && changed == 0 {
		t.Errorf("the patch changed the policy but no enumerated decision changed")
	}
}

func isBackupAction(a string) bool {
	for _, b := range BackupActions {
		if strings.EqualFold(a, b) {
			return true
		}
	}
	return false
}

func isConsoleAction(a string) bool {
	return strings.EqualFold(a, "s3:GetBucketLocation") || strings.EqualFold(a, "s3:GetBucketVersioning")
}

type enumReq struct {
	r           *EvalRequest
	backup      bool // a session of the backup role
	backupModel bool // ... with AWS Backup's modelled context
	account     bool
}

// enumerate builds the requests: principals of the account, of another
// account and the backup role's session; through each endpoint and VPC named
// in the policies and through none; inside and outside each CIDR; TLS on and
// off; backup, console and other actions; bucket and object resources.
func enumerate(f Facts, pols ...*Policy) []enumReq {
	acct := f.AccountID
	roleID := f.RoleID
	type who struct {
		arn, userid     string
		backup, account bool
	}
	principals := []who{
		{"arn:aws:sts::" + acct + ":assumed-role/" + f.RoleName + "/AWSBackup-" + f.RoleName, roleID + ":AWSBackup-" + f.RoleName, true, true},
		{"arn:aws:sts::" + acct + ":assumed-role/" + f.RoleName + "/other", roleID + ":other", true, true},
		{"arn:aws:sts::" + acct + ":assumed-role/" + f.RoleName + "/AWSBackup-" + f.RoleName, "AROARECREATEDROLE0001:AWSBackup-" + f.RoleName, false, true},
		{"arn:aws:iam::" + acct + ":root", acct, false, true},
		{"arn:aws:iam::" + acct + ":user/alice", "AIDAALICE000000000001", false, true},
		{"arn:aws:sts::" + acct + ":assumed-role/Admin/bob", "AROAADMIN000000000001:bob", false, true},
		{"arn:aws:iam::444455556666:root", "444455556666", false, false},
		{"arn:aws:iam::444455556666:user/mallory", "AIDAMALLORY0000000001", false, false},
		{"arn:aws:sts::111122223333:assumed-role/Partner/s", "AROAPARTNER000000001:s", false, false},
		{"anonymous", "anonymous", false, false},
	}
	// Context values from the policies' literals.
	vals := map[string][]string{}
	add := func(k, v string) {
		for _, x := range vals[k] {
			if x == v {
				return
			}
		}
		vals[k] = append(vals[k], v)
	}
	for _, p := range pols {
		for _, s := range p.Statements {
			for _, c := range s.Conditions {
				switch c.KeyLower {
				case "aws:userid", "aws:principalarn", "aws:principalaccount", "aws:username":
					continue // follow from the principal
				case "aws:sourceip":
					for _, v := range c.Values {
						pfx, err := parsePrefix(v)
						if err != nil {
							continue
						}
						add(c.KeyLower, pfx.Addr().String()) // inside
						last := pfx.Addr()
						for i := 0; i < 1<<min(pfx.Addr().BitLen()-pfx.Bits(), 8)-1; i++ {
							last = last.Next()
						}
						add(c.KeyLower, last.String())
					}
					add(c.KeyLower, "8.8.4.4")
					add(c.KeyLower, "2600:1f18::5")
				default:
					for _, v := range c.Values {
						add(c.KeyLower, v)
					}
					add(c.KeyLower, "fixpolicy-other")
				}
			}
		}
	}
	for _, k := range []string{"aws:sourcevpce", "aws:securetransport"} {
		if _, ok := vals[k]; !ok {
			vals[k] = []string{"fixpolicy-other"}
		}
	}
	vals["aws:securetransport"] = []string{"true", "false"}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	actions := append(append([]string{}, BackupActions...), "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:GetBucketPolicy", "s3:PutLifecycleConfiguration")
	bucket := "arn:aws:s3:::" + f.Bucket
	objects := []string{bucket + "/data/file.csv", bucket + "/partners/01/x"}
	var out []enumReq
	// combos of context values: each key takes each value or absence.
	var combos []map[string][]string
	var rec func(i int, cur map[string][]string)
	rec = func(i int, cur map[string][]string) {
		if i == len(keys) {
			m := make(map[string][]string, len(cur))
			for k, v := range cur {
				m[k] = v
			}
			combos = append(combos, m)
			return
		}
		k := keys[i]
		rec(i+1, cur)
		for _, v := range vals[k] {
			cur[k] = []string{v}
			rec(i+1, cur)
			delete(cur, k)
		}
	}
	rec(0, map[string][]string{})
	if len(combos) > 400 {
		combos = combos[:400]
	}
	for _, w := range principals {
		for _, a := range actions {
			b, o := resourceKinds(a)
			var res []string
			if b {
				res = append(res, bucket)
			}
			if o {
				res = append(res, objects...)
			}
			for _, r := range res {
				for _, ctx := range combos {
					c := map[string][]string{"aws:userid": {w.userid}}
					for k, v := range ctx {
						c[k] = v
					}
					er, err := Prepare(Request{Principal: w.arn, Action: a, Resource: r, Context: c})
					if err != nil {
						panic(fmt.Sprintf("%s: %v", w.arn, err))
					}
					if w.backup && w.arn != "" && strings.Contains(w.userid, roleID) {
						er.Ctx["aws:principalarn"] = []string{f.roleARN()}
					}
					out = append(out, enumReq{r: er, backup: w.backup, account: w.account})
				}
				// AWS Backup's own modelled context.
				if w.backup {
					c := map[string][]string{"aws:userid": {w.userid}, "aws:securetransport": {"true"}, "aws:sourceip": {"52.94.133.131"}}
					if org := f.orgID(pols[0]); org != "" {
						c["aws:principalorgid"] = []string{org}
					}
					er, _ := Prepare(Request{Principal: w.arn, Action: a, Resource: r, Context: c})
					er.Ctx["aws:principalarn"] = []string{f.roleARN()}
					out = append(out, enumReq{r: er, backup: true, backupModel: true, account: true})
				}
			}
		}
	}
	return out
}
