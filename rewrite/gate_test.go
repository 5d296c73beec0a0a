package rewrite

import (
	"strings"
	"testing"
)

// Tests of the gate (Verify, checkDelta) that every patch passes before
// Fix returns it: every fixture's patch passes, and a deliberately broken
// patcher is caught with an error naming the invariant it breaks.

// TestGateFixturesPass: the offline fixer's output for every fixture passes
// Verify, and no fixture is refused as a bug of the gate.
func TestGateFixturesPass(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			res, err := Fix(fx.src, fx.opt)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(res.Refusal, "bug") {
				t.Fatalf("the gate refused the fixer's own patch: %s", res.Refusal)
			}
			if !res.Changed() {
				return
			}
			p := mustParse(t, fx.src)
			proof, err := Verify(p, res.After, fx.opt)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if proof.Requests == 0 {
				t.Errorf("the proof enumerated no requests")
			}
			for _, c := range proof.Changes {
				if c.Before != Deny || c.After == Deny {
					t.Errorf("proof class %s is not a lifted deny", c)
				}
			}
		})
	}
}

// gateCase is a correct patch of a policy, which the broken patchers edit.
type gateCase struct {
	src []byte
	opt Options
	out string // the correct patch
}

func fixOK(t *testing.T, src string, opt Options) gateCase {
	t.Helper()
	res, err := Fix([]byte(src), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusNeedsChange {
		t.Fatalf("status %s (%s), want needs-change", res.Status, res.Refusal)
	}
	return gateCase{src: []byte(src), opt: opt, out: string(res.After)}
}

func gateOpts(roleID string) Options {
	return Options{Facts: Facts{RoleID: roleID, AccountID: "012345678901"}}
}

// seed000 with an unrelated TLS Deny, an Allow for a partner account and
// an unrelated Deny for another account's role, so that the broken
// patchers have untouched statements to change.
const gateSeed000 = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Statement1",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::mtzml-20231208", "arn:aws:s3:::mtzml-20231208/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-12345678901234567"}}
    },
    {
      "Sid": "TLS",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::mtzml-20231208/*",
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    },
    {
      "Sid": "Partner",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::mtzml-20231208/*"
    },
    {
      "Sid": "NoPartnerDelete",
      "Effect": "Deny",
      "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": "s3:DeleteObject",
      "Resource": "arn:aws:s3:::mtzml-20231208/*"
    }
  ]
}`

func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("the patch does not contain %q:\n%s", old, s)
	}
	return strings.Replace(s, old, new, 1)
}

// TestGateCatchesBrokenPatchers feeds (original, broken output) to Verify
// and checks that it fails naming the invariant the output breaks.
func TestGateCatchesBrokenPatchers(t *testing.T) {
	const roleID = "AROAEXAMPLEROLEID0001"
	s0 := fixOK(t, gateSeed000, gateOpts(roleID))
	seed001, _ := readFixture(t, "seed001-office-ip")
	s1 := fixOK(t, seed001, gateOpts("AROASAMPLESAMPLESAMPL"))

	// The correct patches pass, first of all.
	for _, c := range []gateCase{s0, s1} {
		if _, err := Verify(mustParse(t, c.src), []byte(c.out), c.opt); err != nil {
			t.Fatalf("the correct patch fails the gate: %v\n%s", err, c.out)
		}
	}
	split := `"Sid": "Statement1ConsoleRead"`
	if !strings.Contains(s0.out, split) {
		t.Fatalf("no split statement in the seed000 patch:\n%s", s0.out)
	}
	cases := []struct {
		name   string
		base   gateCase
		break_ func(t *testing.T, out string) string
		want   []string // substrings of the error
	}{
		// (a) drop a condition from the patched statement.
		{"a-drop-endpoint-condition", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"StringNotEquals": {"aws:SourceVpce": "vpce-12345678901234567"}, "StringNotLike"`, `"StringNotLike"`)
		}, []string{"invariant 2"}},
		{"a-drop-exemption", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `, "StringNotLike": { "aws:userid": "AROASAMPLESAMPLESAMPL:*" }`, ``)
		}, []string{"invariant 1", "AWS Backup"}},
		// (b) widen the exemption.
		{"b-exempt-everyone", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"AROASAMPLESAMPLESAMPL:*"`, `"*:*"`)
		}, []string{"invariant 2"}},
		{"b-exempt-another-roleid-too", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"AROASAMPLESAMPLESAMPL:*"`, `["AROASAMPLESAMPLESAMPL:*", "AROAOTHERROLEID000001:*"]`)
		}, []string{"invariant 2", "AROAOTHERROLEID000001"}},
		{"b-exempt-another-roleid-instead", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"AROASAMPLESAMPLESAMPL:*"`, `"AROAOTHERROLEID000001:*"`)
		}, []string{"invariant 1"}},
		{"b-exempt-prefix-wildcard", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"AROASAMPLESAMPLESAMPL:*"`, `"AROA*"`)
		}, []string{"invariant 2"}},
		// (c) change an unrelated statement.
		{"c-drop-unrelated-deny", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Condition": {"Bool": {"aws:SecureTransport": "false"}}`, `"Condition": {"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"aws:PrincipalAccount": "012345678901"}}`)
		}, []string{"invariant 2"}},
		{"c-widen-unrelated-allow", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Action": "s3:GetObject"`, `"Action": ["s3:GetObject", "s3:PutObject"]`)
		}, []string{"invariant 2", "Allow", "Partner"}},
		{"c-narrow-other-account-deny", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Action": "s3:DeleteObject"`, `"Action": "s3:DeleteObjectVersion"`)
		}, []string{"invariant 2"}},
		// (d) the split statement loses the account exemption or its
		// endpoint condition (the seed's hand-written version).
		{"d-split-loses-account-exemption", s0, func(t *testing.T, out string) string {
			i := strings.Index(out, split)
			return out[:i] + mustReplace(t, out[i:], `, "aws:PrincipalAccount": "012345678901"`, ``)
		}, []string{"invariant 1"}},
		{"d-split-loses-endpoint-condition", s0, func(t *testing.T, out string) string {
			i := strings.Index(out, split)
			return out[:i] + mustReplace(t, out[i:], `"aws:SourceVpce": "vpce-12345678901234567", `, ``)
		}, []string{"invariant 2", "GetBucket"}},
		// (e) add an Allow.
		{"e-add-allow", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Statement": [`, `"Statement": [
    {"Sid": "Sneaky", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mtzml-20231208/*"},`)
		}, []string{"invariant 2", "Allow", "Sneaky"}},
		// A duplicate Sid (invariant 4) is refused by the parser.
		{"duplicate-sid-for-split", s0, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Sid": "Statement1ConsoleRead"`, `"Sid": "TLS"`)
		}, []string{"does not parse", "Sids must be unique"}},
		// Invariant 5 and parse errors.
		{"size-limit", s1, func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Version"`, `"Id": "`+strings.Repeat("x", MaxPolicySize)+`", "Version"`)
		}, []string{"invariant 5"}},
		{"does-not-parse", s1, func(t *testing.T, out string) string {
			return out[:len(out)/2]
		}, []string{"does not parse"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			broken := tc.break_(t, tc.base.out)
			_, err := Verify(mustParse(t, tc.base.src), []byte(broken), tc.base.opt)
			if err == nil {
				t.Fatalf("the gate accepted a broken patch:\n%s", broken)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestGateInvariant4 are broken patchers that change only the form of
// untouched Deny statements. Invariant 4 (package documentation) says the
// verifier proves "untouched statements keep key order, string-versus-array
// shape, Sids, literal types; new statements get unique Sids", and Verify's
// comment lists "4. untouched statements are byte-identical and Sids stay
// unique"; but Verify only rejects changed Allow statements and leaves
// Deny statements to the semantic check, which by design ignores form.
func TestGateInvariant4(t *testing.T) {
	s0 := fixOK(t, gateSeed000, gateOpts("AROAEXAMPLEROLEID0001"))
	cases := map[string]func(t *testing.T, out string) string{
		"reshape-untouched-deny": func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Resource": "arn:aws:s3:::mtzml-20231208/*",
      "Condition": {"Bool"`, `"Resource": ["arn:aws:s3:::mtzml-20231208/*"],
      "Condition": {"Bool"`)
		},
		"reorder-untouched-deny": func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Sid": "NoPartnerDelete",
      "Effect": "Deny",`, `"Effect": "Deny",
      "Sid": "NoPartnerDelete",`)
		},
		"rename-untouched-deny": func(t *testing.T, out string) string {
			return mustReplace(t, out, `"Sid": "TLS"`, `"Sid": "TLSRenamed"`)
		},
		"literal-type-of-untouched-deny": func(t *testing.T, out string) string {
			return mustReplace(t, out, `"aws:SecureTransport": "false"`, `"aws:SecureTransport": false`)
		},
	}
	for name, brk := range cases {
		t.Run(name, func(t *testing.T) {
			broken := brk(t, s0.out)
			if _, err := Verify(mustParse(t, s0.src), []byte(broken), s0.opt); err == nil || !strings.Contains(err.Error(), "invariant 4") {
				t.Errorf("Verify = %v, want an invariant 4 error for:\n%s", err, broken)
			}
		})
	}
}

// TestCheckDeltaClasses checks the gate's delta for the seed patches: it
// holds only the backup role's sessions going from deny to not deny, and
// (seed000) the console's two reads by the account's principals on the
// bucket.
func TestCheckDeltaClasses(t *testing.T) {
	for _, tc := range []struct {
		fixture, roleID string
		console         bool
	}{
		{"seed000-vpce-only", "AROAEXAMPLEROLEID0001", true},
		{"seed001-office-ip", "AROASAMPLESAMPLESAMPL", false},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			src, _ := readFixture(t, tc.fixture)
			c := fixOK(t, src, gateOpts(tc.roleID))
			p, q := mustParse(t, c.src), mustParse(t, []byte(c.out))
			f := c.opt.Facts
			f.Bucket, _ = bucketFromPolicy(p)
			proof, err := checkDelta(p, q, f, ExemptByUserID)
			if err != nil {
				t.Fatal(err)
			}
			var backup, console int
			for _, ch := range proof.Changes {
				switch {
				case ch.backup:
					backup++
				case ch.account:
					console++
					for _, a := range ch.actions {
						if !isConsole(a) {
							t.Errorf("console class with action %s", a)
						}
					}
				default:
					t.Errorf("unexpected class %s", ch)
				}
				ex, err := Prepare(ch.Example)
				if err != nil {
					t.Fatal(err)
				}
				if d := p.Decide(ex, f.AccountID).Decision; d != ch.Before {
					t.Errorf("class %s: example decided %s before", ch, d)
				}
				if d := q.Decide(ex, f.AccountID).Decision; d != ch.After {
					t.Errorf("class %s: example decided %s after", ch, d)
				}
			}
			if backup == 0 {
				t.Errorf("no backup-role class in %v", proof.Classes)
			}
			if (console > 0) != tc.console {
				t.Errorf("console classes: %d, want some: %v (%v)", console, tc.console, proof.Classes)
			}
		})
	}
}

func readFixture(t testing.TB, name string) (string, Options) {
	t.Helper()
	for _, fx := range loadFixtures(t) {
		if fx.name == name {
			return string(fx.src), fx.opt
		}
	}
	t.Fatalf("no fixture %s", name)
	return "", Options{}
}

// TestGateGeneratedLargePolicy: the generated ~20 KB, ~100-statement policy
// of the benchmarks, cut to a size whose patch fits S3's limit, is patched
// and proved (the enumerating proof refused it: the product of its keys'
// witness values exceeded its 4,000,000-request bound).
func TestGateGeneratedLargePolicy(t *testing.T) {
	opt := Options{Facts: Facts{RoleID: "AROAEXAMPLEROLEID0001", AccountID: benchOwner}}
	for _, size := range []int{15000, 12000} {
		res, err := Fix(genLargePolicy(largeBucket, size), opt)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusNeedsChange {
			t.Errorf("%d bytes: %s: %s", size, res.Status, res.Refusal)
		}
	}
}
