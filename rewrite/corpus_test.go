package rewrite

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The worst-case corpus: bucket policies up to S3's 20 KB limit in the
// shapes that made the enumerating proof explode (issue 9's table), plus
// pairs of policies for `fixpolicy diff`. CorpusShapes generates them
// deterministically; the files under fixtures/corpus/ are its output, for
// whole-process timings of the binary. Regenerate them with
//
//	go generate ./rewrite/
//
//go:generate go test . -run ^TestCorpusFiles$ -update-corpus

var updateCorpus = flag.Bool("update-corpus", false, "rewrite fixtures/corpus/ from CorpusShapes")

const (
	corpusDir     = "../fixtures/corpus"
	corpusBucket  = "backup-corpus"
	corpusAccount = "012345678901"
)

// corpusFacts are the facts every corpus shape is fixed with (the offline
// run's --role-id and --account-id).
func corpusFacts() Facts {
	return Facts{Bucket: corpusBucket, AccountID: corpusAccount, RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}
}

// CorpusShape is one generated policy (Fix) or pair of policies (Delta).
type CorpusShape struct {
	Name string
	Doc  string // the row of the table it stands for
	// Policy is the policy Fix runs on; nil for a diff pair.
	Policy []byte
	// Want is Fix's expected status; WantRefusal a substring of the
	// refusal when Want is StatusRefused.
	Want, WantRefusal string
	// Old and New are a diff pair; WantEquivalent is Delta's expected
	// answer and WantStatements the number of statements that differ
	// (removed plus added).
	Old, New       []byte
	WantEquivalent bool
	WantStatements int
}

// IsDiff reports whether the shape is a pair for Delta.
func (c CorpusShape) IsDiff() bool { return c.Policy == nil }

// Files returns the shape's file names under fixtures/corpus/ with their
// contents.
func (c CorpusShape) Files() map[string][]byte {
	if c.IsDiff() {
		return map[string][]byte{c.Name + ".old.json": c.Old, c.Name + ".new.json": c.New}
	}
	return map[string][]byte{c.Name + ".json": c.Policy}
}

// regions are real region codes, for aws:RequestedRegion.
var regions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2", "ap-south-1",
	"ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
	"eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1", "us-gov-east-1",
	"us-gov-west-1", "cn-north-1", "cn-northwest-1", "us-iso-east-1", "us-iso-west-1", "us-isob-east-1",
	"eusc-de-east-1",
}

// corpusKey is a condition key of the blocking Denies: a negated operator,
// so that a request without the key (as AWS Backup's) or with any other
// value is denied. val gives value j of statement s.
type corpusKey struct {
	op, key string
	val     func(s, j int) string
}

// corpusKeys in the order the shapes take them: "k keys" means the first k
// (rotated by the statement's index in the many-statement shapes).
var corpusKeys = []corpusKey{
	{"StringNotEquals", "aws:SourceVpce", func(s, j int) string { return fmt.Sprintf("vpce-0%03x%013x", s, 0x9e3779b1*uint64(j+1)&(1<<52-1)) }},
	{"NotIpAddress", "aws:SourceIp", func(s, j int) string { return fmt.Sprintf("10.%d.%d.0/24", s%256, j%256) }},
	{"StringNotEquals", "aws:SourceVpc", func(s, j int) string { return fmt.Sprintf("vpc-0%03x%013x", s, 0x85ebca6b*uint64(j+3)&(1<<52-1)) }},
	{"StringNotEquals", "aws:PrincipalTag/team", func(s, j int) string { return fmt.Sprintf("team-%02d-%02d", s, j) }},
	{"StringNotEquals", "aws:RequestedRegion", func(s, j int) string { return regions[(s+j)%len(regions)] }},
	{"StringNotLike", "s3:prefix", func(s, j int) string { return fmt.Sprintf("home/team-%02d-%02d/*", s, j) }},
	{"StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", func(s, j int) string {
		return fmt.Sprintf("arn:aws:kms:us-east-1:%s:key/%08x-0000-4000-8000-%012x", corpusAccount, s, j)
	}},
	{"ArnNotLike", "aws:PrincipalArn", func(s, j int) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/app-%02d-%02d-*", corpusAccount, s, j)
	}},
	{"StringNotEquals", "aws:PrincipalTag/cost-center", func(s, j int) string { return fmt.Sprintf("cc-%03d%02d", s, j) }},
	{"StringNotEquals", "s3:ExistingObjectTag/classification", func(s, j int) string { return fmt.Sprintf("class-%02d-%02d", s, j) }},
	{"StringNotEquals", "aws:PrincipalTag/department", func(s, j int) string { return fmt.Sprintf("dept-%02d-%02d", s, j) }},
	{"StringNotLike", "aws:userid", func(s, j int) string { return fmt.Sprintf("AROAAPPROLE%02d%08d:*", s, j) }},
}

// shortVal is a short tag value: prefix, statement, letter (j < 26).
func shortVal(prefix string, s, j int) string {
	if j >= 26 {
		panic("shortVal: too many values")
	}
	return fmt.Sprintf("%s%02d%c", prefix, s, 'a'+j)
}

// shortKeys are the keys of the many-statement shapes, with short values
// (tags, regions, prefixes, networks) so that 32 statements of 6 keys × 5
// values stay near 18 KB and their patch fits S3's limit.
var shortKeys = []corpusKey{
	{"NotIpAddress", "aws:SourceIp", func(s, j int) string { return fmt.Sprintf("10.%d.%d.0/24", s%256, j%256) }},
	{"StringNotEquals", "aws:PrincipalTag/team", func(s, j int) string { return shortVal("t", s, j) }},
	{"StringNotLike", "s3:prefix", func(s, j int) string { return fmt.Sprintf("p%02d%02d/*", s, j) }},
	{"StringNotEquals", "aws:PrincipalTag/env", func(s, j int) string { return shortVal("e", s, j) }},
	{"StringNotEquals", "aws:PrincipalTag/dept", func(s, j int) string { return shortVal("d", s, j) }},
	{"StringNotEquals", "s3:ExistingObjectTag/class", func(s, j int) string { return shortVal("c", s, j) }},
}

// condBlock is one operator's block of a Condition, keys in order.
type condBlock struct {
	op   string
	keys []string
	vals [][]string
}

// stmt is a statement to render; Principal is "*" unless principals is set.
type stmt struct {
	sid, effect string
	principals  []string
	actions     []string
	resources   []string
	conds       []condBlock
}

func jsonStrings(v []string) string {
	if len(v) == 1 {
		return fmt.Sprintf("%q", v[0])
	}
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

func (s stmt) render() string {
	var b strings.Builder
	if s.sid != "" {
		fmt.Fprintf(&b, `{"Sid":%q,`, s.sid)
	} else {
		b.WriteString("{")
	}
	fmt.Fprintf(&b, `"Effect":%q,`, s.effect)
	if s.principals == nil {
		b.WriteString(`"Principal":"*",`)
	} else {
		fmt.Fprintf(&b, `"Principal":{"AWS":%s},`, jsonStrings(s.principals))
	}
	fmt.Fprintf(&b, `"Action":%s,"Resource":%s`, jsonStrings(s.actions), jsonStrings(s.resources))
	if len(s.conds) > 0 {
		b.WriteString(`,"Condition":{`)
		for i, c := range s.conds {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:{", c.op)
			for k, key := range c.keys {
				if k > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, "%q:%s", key, jsonStrings(c.vals[k]))
			}
			b.WriteString("}")
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

// addCond adds key with its values under op, merging with an existing
// block of the same operator.
func (s *stmt) addCond(op, key string, vals []string) {
	for i := range s.conds {
		if s.conds[i].op == op {
			s.conds[i].keys = append(s.conds[i].keys, key)
			s.conds[i].vals = append(s.conds[i].vals, vals)
			return
		}
	}
	s.conds = append(s.conds, condBlock{op: op, keys: []string{key}, vals: [][]string{vals}})
}

// renderPolicy writes one statement a line; the compact size (what S3
// counts) is the length without the newlines.
func renderPolicy(stmts []stmt) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Version":"2012-10-17","Statement":[` + "\n")
	for i, s := range stmts {
		b.WriteString(s.render())
		if i < len(stmts)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

func compactSize(src []byte) int { return len(src) - bytes.Count(src, []byte("\n")) }

var (
	bucketARN   = "arn:aws:s3:::" + corpusBucket
	objectsARN  = bucketARN + "/*"
	bucketAndOb = []string{bucketARN, objectsARN}
)

// keysDeny is the typical blocking statement: Deny s3:* to everyone on the
// bucket and its objects unless every one of nkeys conditions holds, each
// key with nvals values, keys taken from corpusKeys starting at first.
// perturb > 0 changes the first value of the first key (for diff pairs).
func keysDeny(sid string, s, first, nkeys, nvals, perturb int, res []string) stmt {
	return keysDenyOf(corpusKeys, sid, s, first, nkeys, nvals, perturb, res)
}

func keysDenyOf(keys []corpusKey, sid string, s, first, nkeys, nvals, perturb int, res []string) stmt {
	st := stmt{sid: sid, effect: "Deny", actions: []string{"s3:*"}, resources: res}
	for k := 0; k < nkeys; k++ {
		ck := keys[(first+k)%len(keys)]
		vals := make([]string, nvals)
		for j := range vals {
			vals[j] = ck.val(s, j)
		}
		if k == 0 && perturb > 0 {
			vals[0] = ck.val(s, len(vals)-1+perturb)
		}
		st.addCond(ck.op, ck.key, vals)
	}
	return st
}

// smallDeny is statement s of the many-small-statements shapes: one of seven
// common single-purpose network, tag or header Denies, with nvals values.
// Each blocks AWS Backup.
func smallDeny(s, nvals, perturb int, res []string, sid bool) stmt {
	kinds := []struct {
		actions []string
		key     int // index in corpusKeys, or -1 for SSE
	}{
		{[]string{"s3:*"}, 0},                                             // aws:SourceVpce
		{[]string{"s3:*"}, 1},                                             // aws:SourceIp
		{[]string{"s3:GetObject*", "s3:PutObject*"}, 2},                   // aws:SourceVpc
		{[]string{"s3:PutObject"}, -1},                                    // SSE header
		{[]string{"s3:GetObject*"}, 9},                                    // s3:ExistingObjectTag/classification
		{[]string{"s3:*"}, 4},                                             // aws:RequestedRegion
		{[]string{"s3:GetObject*", "s3:DeleteObject*", "s3:Restore*"}, 3}, // aws:PrincipalTag/team
	}
	kd := kinds[s%len(kinds)]
	st := stmt{effect: "Deny", actions: kd.actions, resources: res}
	if sid {
		st.sid = fmt.Sprintf("Guard%03d", s)
	}
	if kd.key < 0 {
		vals := []string{"aws:kms", "aws:kms:dsse"}
		if perturb > 0 {
			vals = []string{"aws:kms"}
		}
		st.addCond("StringNotEquals", "s3:x-amz-server-side-encryption", vals)
		return st
	}
	ck := corpusKeys[kd.key]
	vals := make([]string, nvals)
	for j := range vals {
		vals[j] = ck.val(s, j)
	}
	if perturb > 0 {
		vals[0] = ck.val(s, len(vals)-1+perturb)
	}
	st.addCond(ck.op, ck.key, vals)
	return st
}

// oneStatement is the "one statement, k keys × v values" rows.
func oneStatement(nkeys, nvals int) []byte {
	return renderPolicy([]stmt{keysDeny("DenyOutsideNetwork", 0, 0, nkeys, nvals, 0, bucketAndOb)})
}

// manyKeyStatements is n blocking statements on the bucket's objects, each
// of nkeys × nvals from shortKeys, rotated. perturbed marks the statements
// whose first value changes. scoped gives each statement a prefix of its
// own (per-team rules); unscoped, every statement covers every object, so
// that each one's denial hides the others' changes.
func manyKeyStatements(n, nkeys, nvals int, scoped bool, perturbed func(i int) bool) []byte {
	var stmts []stmt
	for i := 0; i < n; i++ {
		p := 0
		if perturbed != nil && perturbed(i) {
			p = 1
		}
		res := objectsARN
		if scoped {
			res = fmt.Sprintf("%s/t%02d/*", bucketARN, i)
		}
		stmts = append(stmts, keysDenyOf(shortKeys, "", i, i, nkeys, nvals, p, []string{res}))
	}
	return renderPolicy(stmts)
}

// smallStatements is n small blocking statements whose values are added
// round-robin while the unperturbed policy stays within limit bytes
// (compact); perturbed marks the statements whose first value changes.
// Without Sids, each statement is 12 bytes shorter.
func smallStatements(n, limit int, sids bool, perturbed func(i int) bool) []byte {
	nvals := make([]int, n)
	build := func(perturbed func(i int) bool) []byte {
		stmts := make([]stmt, n)
		for i := range stmts {
			// Statement 0 covers the bucket and every object (the console
			// split); the others a prefix each, so that a change in any
			// of them shows in the access delta.
			res := []string{fmt.Sprintf("%s/g%02d/*", bucketARN, i)}
			if i == 0 {
				res = bucketAndOb
			}
			p := 0
			if perturbed != nil && perturbed(i) {
				p = 1
			}
			stmts[i] = smallDeny(i, nvals[i], p, res, sids)
		}
		return renderPolicy(stmts)
	}
	for i := range nvals {
		nvals[i] = 1
	}
	for i := 0; ; i = (i + 1) % n {
		nvals[i]++
		if compactSize(build(nil)) > limit {
			nvals[i]--
			return build(perturbed)
		}
	}
}

// principals300 is an Allow for 300 partner principals and the 4 × 40
// blocking Deny (about 12 KB).
func principals300(perturb int) []byte {
	pr := make([]string, 300)
	for i := range pr {
		switch i % 3 {
		case 0:
			pr[i] = fmt.Sprintf("arn:aws:iam::%012d:root", 100000000000+i*7)
		case 1:
			pr[i] = fmt.Sprintf("arn:aws:iam::%012d:role/reader", 100000000000+i*7)
		default:
			pr[i] = fmt.Sprintf("AROAPARTNER%010d", i)
		}
	}
	if perturb > 0 {
		pr[150] = fmt.Sprintf("arn:aws:iam::%012d:root", 200000000000+perturb)
	}
	return renderPolicy([]stmt{
		{sid: "PartnerRead", effect: "Allow", principals: pr, actions: []string{"s3:GetObject", "s3:ListBucket"}, resources: bucketAndOb},
		keysDeny("DenyOutsideNetwork", 0, 0, 4, 40, 0, bucketAndOb),
	})
}

// cidrs is n IPv4 and IPv6 networks of mixed prefix lengths, some nested.
func cidrs(n, perturb int) []string {
	out := make([]string, n)
	x := uint32(2463534242)
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		switch i % 8 {
		case 7:
			out[i] = fmt.Sprintf("2001:db8:%x:%x::/64", x>>16, x&0xffff)
		case 6:
			out[i] = fmt.Sprintf("%d.%d.%d.%d/32", 198, 18+(x>>24)%2, (x>>8)&255, x&255)
		case 5:
			out[i] = fmt.Sprintf("%d.%d.0.0/16", 100, 64+(x>>24)%64)
		default:
			out[i] = fmt.Sprintf("%d.%d.%d.0/24", 10+(x>>28), (x>>16)&255, (x>>8)&255)
		}
	}
	if perturb > 0 {
		out[n/2] = fmt.Sprintf("203.0.113.%d/32", perturb)
	}
	return out
}

func cidrPolicy(n, perturb int) []byte {
	st := stmt{sid: "OfficeAndPartnerNetworksOnly", effect: "Deny", actions: []string{"s3:*"}, resources: bucketAndOb}
	st.addCond("NotIpAddress", "aws:SourceIp", cidrs(n, perturb))
	return renderPolicy([]stmt{st})
}

// tagKeys is n tag-key names.
func tagKeys(n, offset int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("tag-%03d", i+offset)
	}
	return out
}

// multiValued exercises the multi-valued keys with set operators, each
// with many values: uploads may carry only the listed object tag keys,
// tagging requests only the listed aws:TagKeys, and everything else must
// come through the VPC endpoints or carry a listed tag pattern. toggled
// swaps the set operators (for the diff pair).
func multiValued(toggled bool) []byte {
	anyOp, allOp := "ForAnyValue:StringNotEquals", "ForAllValues:StringNotLike"
	plainOp := "StringEquals"
	if toggled {
		anyOp, allOp = "ForAllValues:StringNotEquals", "ForAnyValue:StringNotLike"
		plainOp = "ForAnyValue:StringEquals"
	}
	upload := stmt{sid: "OnlyListedObjectTags", effect: "Deny", actions: []string{"s3:PutObject", "s3:PutObjectTagging"}, resources: []string{objectsARN}}
	upload.addCond(anyOp, "s3:RequestObjectTagKeys", tagKeys(60, 0))
	tagging := stmt{sid: "OnlyListedTagKeys", effect: "Deny", actions: []string{"s3:PutBucketTagging", "s3:PutObjectTagging"}, resources: bucketAndOb}
	tagging.addCond(anyOp, "aws:TagKeys", tagKeys(60, 100))
	network := keysDeny("EndpointOrTagged", 0, 0, 2, 20, 0, bucketAndOb)
	network.addCond(allOp, "aws:TagKeys", func() []string {
		v := tagKeys(40, 200)
		for i := range v {
			v[i] += "*"
		}
		return v
	}())
	secret := stmt{sid: "NoSecretTags", effect: "Deny", actions: []string{"s3:PutObject"}, resources: []string{objectsARN}}
	secret.addCond(plainOp, "s3:RequestObjectTagKeys", []string{"secret", "password", "token"})
	return renderPolicy([]stmt{upload, tagging, network, secret})
}

func every(int) bool { return true }

// firstN marks n statements spread over the policy.
func firstN(n, of int) func(int) bool {
	return func(i int) bool { return i*n/of != (i+1)*n/of }
}

// CorpusShapes returns the corpus, in the order of the table.
func CorpusShapes() []CorpusShape {
	const tooBig = "over S3's limit"
	return []CorpusShape{
		{Name: "keys4x10", Doc: "one statement, 4 keys × 10 values", Policy: oneStatement(4, 10), Want: StatusNeedsChange},
		{Name: "keys6x5", Doc: "one statement, 6 keys × 5 values", Policy: oneStatement(6, 5), Want: StatusNeedsChange},
		{Name: "keys5x10", Doc: "one statement, 5 keys × 10 values", Policy: oneStatement(5, 10), Want: StatusNeedsChange},
		{Name: "keys10x2", Doc: "one statement, 10 keys × 2 values", Policy: oneStatement(10, 2), Want: StatusNeedsChange},
		{Name: "keys12x2", Doc: "one statement, 12 keys × 2 values", Policy: oneStatement(12, 2), Want: StatusNeedsChange},
		{Name: "keys4x40", Doc: "one statement, 4 keys × 40 values", Policy: oneStatement(4, 40), Want: StatusNeedsChange},
		{Name: "principals300-keys4x40", Doc: "Allow for 300 principals and a 4 keys × 40 values Deny", Policy: principals300(0), Want: StatusNeedsChange},
		{Name: "stmts32-keys6x5", Doc: "32 blocking statements of 6 keys × 5 values", Policy: manyKeyStatements(32, 6, 5, true, nil), Want: StatusNeedsChange},
		{Name: "stmts80-20kb", Doc: "80 small Deny statements filled to 20 KB (the patch cannot fit)", Policy: smallStatements(80, MaxPolicySize, true, nil), Want: StatusRefused, WantRefusal: tooBig},
		{Name: "stmts80-patchable", Doc: "80 small Deny statements without Sids, one value each (15 KB): the patch fits in 20 KB", Policy: smallStatements(80, 0, false, nil), Want: StatusNeedsChange},
		{Name: "cidrs800", Doc: "one key (aws:SourceIp, NotIpAddress) with 800 CIDRs", Policy: cidrPolicy(800, 0), Want: StatusNeedsChange},
		{Name: "multivalued", Doc: "aws:TagKeys and s3:RequestObjectTagKeys with ForAnyValue/ForAllValues, many values", Policy: multiValued(false), Want: StatusNeedsChange},

		{Name: "diff-stmts32-every", Doc: "diff: 32 statements of 6 keys × 5 values, every statement changed",
			Old: manyKeyStatements(32, 6, 5, true, nil), New: manyKeyStatements(32, 6, 5, true, every), WantStatements: 64},
		{Name: "diff-stmts80-every", Doc: "diff: two 20 KB policies of 80 small statements, every statement changed",
			Old: smallStatements(80, MaxPolicySize, true, nil), New: smallStatements(80, MaxPolicySize, true, every), WantStatements: 160},
		{Name: "diff-stmts32-changed10", Doc: "diff: 10 changed statements",
			Old: manyKeyStatements(32, 6, 5, true, nil), New: manyKeyStatements(32, 6, 5, true, firstN(10, 32)), WantStatements: 20},
		{Name: "diff-stmts32-changed12", Doc: "diff: 12 changed statements",
			Old: manyKeyStatements(32, 6, 5, true, nil), New: manyKeyStatements(32, 6, 5, true, firstN(12, 32)), WantStatements: 24},
		// Every statement denies every object, and a request can escape at
		// most one statement per key (each key is single-valued and the
		// statements' values are disjoint), never the other 31: no changed
		// value can change a decision.
		{Name: "diff-stmts32-masked", Doc: "diff: 32 overlapping statements, every statement changed, equivalent",
			Old: manyKeyStatements(32, 6, 5, false, nil), New: manyKeyStatements(32, 6, 5, false, every), WantStatements: 64, WantEquivalent: true},
		{Name: "diff-principals300", Doc: "diff: one of 300 principals changed",
			Old: principals300(0), New: principals300(1), WantStatements: 2},
		{Name: "diff-cidrs800", Doc: "diff: one of 800 CIDRs changed",
			Old: cidrPolicy(800, 0), New: cidrPolicy(800, 1), WantStatements: 2},
		{Name: "diff-multivalued", Doc: "diff: set operators toggled on multi-valued keys",
			Old: multiValued(false), New: multiValued(true), WantStatements: 8},
	}
}

// TestCorpusFiles checks that fixtures/corpus/ holds exactly what the
// generator makes (-update-corpus rewrites it), and that every policy fits
// S3's limit.
func TestCorpusFiles(t *testing.T) {
	want := map[string][]byte{}
	for _, c := range CorpusShapes() {
		for name, src := range c.Files() {
			if n := compactSize(src); n > MaxPolicySize {
				t.Errorf("%s is %d bytes compact, over S3's limit", name, n)
			}
			want[name] = src
		}
	}
	if *updateCorpus {
		old, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
		for _, f := range old {
			os.Remove(f)
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range want {
			if err := os.WriteFile(filepath.Join(corpusDir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	have, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if len(have) != len(want) {
		t.Errorf("fixtures/corpus has %d files, the generator makes %d (go generate ./rewrite/)", len(have), len(want))
	}
	for name, src := range want {
		got, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Errorf("%v (go generate ./rewrite/)", err)
		} else if !bytes.Equal(got, src) {
			t.Errorf("fixtures/corpus/%s differs from the generator's output (go generate ./rewrite/)", name)
		}
	}
}
