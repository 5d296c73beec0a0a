package rewrite

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// DefaultRoleName is the role AWS Backup uses unless a plan names another.
const DefaultRoleName = "AWSBackupDefaultServiceRole"

// Facts are what the analysis knows about the bucket's account and the
// backup role, gathered by the caller (IAM/STS look-ups or flags).
type Facts struct {
	Bucket    string // bucket name; "" to take it from the policy's resources
	AccountID string // the bucket owner's account
	RoleID    string // the backup role's unique ID (AROA...)
	RoleName  string // default AWSBackupDefaultServiceRole
	RoleARN   string // with its path; "" to derive it from RoleName
	OrgID     string // the account's organization, "" when unknown
	// NoOrg says the account is known to be in no organization (AWS
	// Organizations said so): its principals' requests carry no
	// aws:PrincipalOrgID or aws:PrincipalOrgPaths, whatever the policy names.
	NoOrg     bool
	Partition string // default "aws"
}

// Resolved returns f with its defaults filled in: the role's name, ARN and
// the partition, as the analysis takes them.
func (f Facts) Resolved() Facts {
	f.RoleName, f.RoleARN, f.Partition = f.roleName(), f.roleARN(), f.partition()
	return f
}

func (f Facts) partition() string {
	if f.Partition == "" {
		return "aws"
	}
	return f.Partition
}

func (f Facts) roleName() string {
	if f.RoleName == "" {
		return DefaultRoleName
	}
	return f.RoleName
}

// roleARN returns the backup role's ARN. Without a looked-up ARN the default
// role is known to live under /service-role/; other roles are assumed at "/".
func (f Facts) roleARN() string {
	if f.RoleARN != "" {
		return f.RoleARN
	}
	path := "/"
	if f.roleName() == DefaultRoleName {
		path = "/service-role/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", f.partition(), f.AccountID, path, f.roleName())
}

// Validate checks the facts the analysis cannot do without.
func (f Facts) Validate() error {
	if err := CheckAccountID(f.AccountID); err != nil {
		return fmt.Errorf("account ID %v", err)
	}
	if err := CheckRoleID(f.RoleID); err != nil {
		return fmt.Errorf("role ID %v", err)
	}
	if f.OrgID != "" {
		if err := CheckOrgID(f.OrgID); err != nil {
			return fmt.Errorf("organization ID %v", err)
		}
	}
	if f.RoleARN != "" {
		c, err := ParseCaller(f.RoleARN)
		if err != nil || c.Kind != IAMRole {
			return fmt.Errorf("role ARN %q is not an IAM role ARN", f.RoleARN)
		}
	}
	return nil
}

// CheckAccountID reports, as a phrase to follow the input's name, why id is
// not an AWS account ID (12 digits), or nil.
func CheckAccountID(id string) error {
	if !policy.IsAccountID(id) {
		return fmt.Errorf("%q is not a 12-digit AWS account ID", id)
	}
	return nil
}

// CheckRoleName reports why name is not an IAM role's name (the name
// only, not its ARN), or nil.
func CheckRoleName(name string) error {
	if name == "" || strings.ContainsAny(name, "/: ") {
		return fmt.Errorf("%q is not a role name (give the name only, e.g. AWSBackupDefaultServiceRole, not its ARN)", name)
	}
	return nil
}

// CheckExemptBy reports why s is not an exemption style, or nil.
func CheckExemptBy(s string) error {
	if ExemptBy(s) != ExemptByUserID && ExemptBy(s) != ExemptByPrincipalARN {
		return fmt.Errorf("%q is not an exemption style (use userid or principal-arn)", s)
	}
	return nil
}

// CheckRoleID reports why id is not an IAM role's unique ID, or nil.
func CheckRoleID(id string) error {
	if !validRoleID(id) {
		return fmt.Errorf("%q is not an IAM role's unique ID (AROA followed by 16 or more capital letters and digits, as aws iam get-role prints)", id)
	}
	return nil
}

// CheckOrgID reports why id is not an AWS Organizations ID ("o-" and 10 to
// 32 lower-case letters or digits, the Organizations API's pattern), or nil.
func CheckOrgID(id string) error {
	rest, ok := strings.CutPrefix(id, "o-")
	valid := ok && len(rest) >= 10 && len(rest) <= 32
	for _, c := range rest {
		valid = valid && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
	}
	if !valid {
		return fmt.Errorf("%q is not an organization ID (o- and 10 to 32 lower-case letters or digits)", id)
	}
	return nil
}

func validRoleID(id string) bool {
	if !strings.HasPrefix(id, "AROA") || len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// BackupActions are the S3 actions of the managed policies
// AWSBackupServiceRolePolicyForS3Backup (v5) and
// AWSBackupServiceRolePolicyForS3Restore (v2) that act on a bucket or its
// objects (AWS Managed Policy Reference Guide, the two policies' current
// versions). s3:ListAllMyBuckets is not a
// request against the bucket, so a bucket policy cannot affect it.
var BackupActions = []string{
	// bucket-level
	"s3:GetBucketTagging", "s3:GetInventoryConfiguration", "s3:ListBucketVersions", "s3:ListBucket",
	"s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:GetBucketAcl", "s3:PutInventoryConfiguration",
	"s3:GetBucketNotification", "s3:PutBucketNotification", "s3:ListTagsForResource",
	"s3:CreateBucket", "s3:PutBucketVersioning", "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls",
	// object-level
	"s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersionTagging", "s3:GetObjectVersionAcl",
	"s3:GetObjectTagging", "s3:GetObjectVersion", "s3:DeleteObject", "s3:PutObjectVersionAcl",
	"s3:PutObjectTagging", "s3:PutObjectAcl", "s3:ListMultipartUploadParts", "s3:PutObject",
}

// ConsoleActions are the two reads the AWS Backup console makes as the
// signed-in principal when a bucket is assigned to a backup plan (seed 000).
var ConsoleActions = []string{"s3:GetBucketLocation", "s3:GetBucketVersioning"}

// resourceKinds says whether an action applies to the bucket ARN, object
// ARNs, or (unknown to the catalogue) both.
func resourceKinds(action string) (bucket, object bool) {
	a, ok := s3actions.Lookup(action)
	if !ok {
		return true, true
	}
	if !a.Bucket && !a.Object {
		return false, false
	}
	return a.Bucket, a.Object
}

// backupSessionNames are role-session names the analysis tries for the
// backup role: the one AWS Backup is observed to use, and another, since the
// name is undocumented.
func backupSessionNames(f Facts) []string {
	return []string{"AWSBackup-" + f.roleName(), "fixpolicy-other-session"}
}

func (f Facts) backupCallers() []callerCand {
	var out []callerCand
	for _, sess := range backupSessionNames(f) {
		arn := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", f.partition(), f.AccountID, f.roleName(), sess)
		c, _ := ParseCaller(arn)
		out = append(out, callerCand{
			c: c,
			derived: map[string][]string{
				"aws:userid":           {f.RoleID + ":" + sess},
				"aws:principalarn":     {f.roleARN()},
				"aws:principalaccount": {f.AccountID},
				"aws:principaltype":    {"AssumedRole"},
			},
			label:   "the backup role's session " + arn,
			backup:  true,
			account: true,
		})
	}
	return out
}

func (f Facts) bucketARN() string {
	return fmt.Sprintf("arn:%s:s3:::%s", f.partition(), f.Bucket)
}

// objectARNs returns representative object ARNs of the bucket: one for each
// class of keys the policies' resource patterns tell apart.
func (f Facts) objectARNs(policies ...*Policy) []string {
	prefix := f.bucketARN() + "/"
	var pats []string
	for _, p := range policies {
		for _, s := range p.Statements {
			if !s.IsDeny() {
				continue // only Deny statements can block AWS Backup
			}
			for _, r := range s.Resources {
				pats = appendUnique(pats, r)
			}
		}
	}
	out := []string{prefix + "fixpolicy/object-key"}
	if len(pats) > 0 {
		// One condition per pattern, and one for "an object of this
		// bucket", so that every combination of patterns an object of the
		// bucket can match has a representative.
		for _, w := range resourceWitnesses(append([]string{prefix + "*"}, pats...)) {
			if strings.HasPrefix(w, prefix) && len(w) > len(prefix) {
				out = appendUnique(out, w)
			}
		}
	}
	return out
}

func (f Facts) resourcesFor(objects []string) func(string) []string {
	bucket := []string{f.bucketARN()}
	both := append(append([]string{}, bucket...), objects...)
	return func(action string) []string {
		b, o := resourceKinds(action)
		switch {
		case b && o:
			return both
		case b:
			return bucket
		case o:
			return objects
		}
		return nil
	}
}

// backupSpace models AWS Backup's requests to the bucket (the package
// documentation, "AWS Backup's requests").
func (f Facts) backupSpace(p *Policy) *space {
	known := map[string][]string{
		"aws:securetransport":       {"true"},
		"aws:viaawsservice":         {"false"},
		"aws:principalisawsservice": {"false"},
		"aws:resourceaccount":       {f.AccountID},
	}
	absent := map[string]bool{}
	for _, k := range []string{"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", "aws:calledvia",
		"aws:calledviafirst", "aws:calledvialast", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid",
		"aws:sourceorgpaths", "aws:principalservicename", "aws:principalservicenameslist", "aws:sourceidentity"} {
		absent[k] = true
	}
	if org := f.orgID(p); org != "" {
		known["aws:principalorgid"] = []string{org}
	} else {
		absent["aws:principalorgid"] = true
		absent["aws:principalorgpaths"] = true
	}
	if ip := outsideAll(p, "aws:sourceip"); ip != "" {
		known["aws:sourceip"] = []string{ip}
	}
	// Multi-factor authentication: AWS Backup's requests are signed with a
	// service role session it obtains itself, without MFA, so the MFA keys
	// are absent (IAM User Guide, "AWS global condition context keys",
	// aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge: present only
	// for credentials obtained with MFA). A Deny "unless MFA" written with
	// Bool therefore leaves AWS Backup alone; BoolIfExists or Null still
	// block it.
	absent["aws:multifactorauthpresent"] = true
	absent["aws:multifactorauthage"] = true
	// SSE-C: AWS Backup does not back up or restore objects encrypted with
	// customer-provided keys (AWS Backup Developer Guide, "Amazon S3 backup":
	// SSE-C objects are not supported), so its requests carry no SSE-C
	// headers and the s3:x-amz-server-side-encryption-customer-algorithm key
	// is absent.
	absent["s3:x-amz-server-side-encryption-customer-algorithm"] = true
	return &space{
		callers:   f.backupCallers(),
		actions:   BackupActions,
		resources: f.resourcesFor(f.objectARNs(p)),
		patterns:  resourcePatterns(p.Statements),
		known:     known,
		absent:    absent,
		choices: map[string][]string{
			"s3:tlsversion": tlsVersions,
			"s3:x-amz-acl":  backupACLs,
		},
	}
}

// tlsVersions are the TLS versions an S3 request can arrive over: AWS API
// endpoints, S3's included, refuse TLS 1.0 and 1.1 since June 2023 (AWS
// Security Blog, "TLS 1.2 required for AWS endpoints"), so s3:TlsVersion is
// 1.2 or 1.3. A Deny of older TLS versions never trips AWS Backup and is
// left alone.
var tlsVersions = []string{"1.2", "1.3"}

// backupACLs are the canned ACLs AWS Backup's requests may carry: none, or a
// private one. A Deny of the public canned ACLs (public-read,
// public-read-write, authenticated-read; Amazon S3 User Guide, "Canned
// ACL") is the owner's decision about public access, which AWS Backup never
// asks for: it is never a reason to exempt the backup role.
var backupACLs = []string{absentChoice, "private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read"}

// orgID is the account's organization: the fact when known, else the first
// organization the policy names (a bucket that denies its own account's
// organization is locked already).
func (f Facts) orgID(p *Policy) string {
	if f.OrgID != "" || f.NoOrg {
		return f.OrgID
	}
	for _, s := range p.Statements {
		for _, c := range s.Conditions {
			if c.KeyLower == "aws:principalorgid" {
				for _, v := range c.Values {
					if strings.HasPrefix(v, "o-") && !strings.ContainsAny(v, "*?$") {
						return v
					}
				}
			}
		}
	}
	return ""
}

// awsAddresses are public addresses AWS owns, tried in order as the source
// address of AWS Backup's requests.
var awsAddresses = []string{"52.94.133.131", "3.5.140.2", "54.231.0.10", "18.34.0.1", "2600:1f18:4000::1"}

// outsideAll returns an AWS-owned address that lies in none of the ranges
// the policy names for key, or "" if every candidate is covered.
func outsideAll(p *Policy, key string) string {
	var ranges []netip.Prefix
	for _, s := range p.Statements {
		for _, c := range s.Conditions {
			if c.KeyLower != key || c.Op.Family != cond.IP {
				continue
			}
			for _, v := range c.Values {
				if pfx, err := parsePrefix(v); err == nil {
					ranges = append(ranges, pfx)
				}
			}
		}
	}
next:
	for _, a := range awsAddresses {
		ip := netip.MustParseAddr(a)
		for _, r := range ranges {
			if r.Contains(ip) {
				continue next
			}
		}
		return a
	}
	return ""
}

func parsePrefix(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// accountCallers are principals of the bucket owner's account other than the
// backup role: the root user, an IAM user, a role session, and the account's
// principals the policy names.
func (f Facts) accountCallers(policies ...*Policy) []callerCand {
	mk := func(arn, userid, label string) callerCand {
		c, err := ParseCaller(arn)
		if err != nil {
			panic(err)
		}
		d := map[string][]string{"aws:principalaccount": {f.AccountID}, "aws:userid": {userid}}
		switch c.Kind {
		case AccountRoot:
			d["aws:principalarn"] = []string{arn}
			d["aws:principaltype"] = []string{"Account"}
		case IAMUser:
			d["aws:principalarn"] = []string{arn}
			d["aws:username"] = []string{c.Name}
			d["aws:principaltype"] = []string{"User"}
		case AssumedRole:
			d["aws:principalarn"] = []string{c.RoleARN()}
			d["aws:principaltype"] = []string{"AssumedRole"}
		}
		return callerCand{c: c, derived: d, label: label, account: true}
	}
	part, acct := f.partition(), f.AccountID
	out := []callerCand{
		mk(fmt.Sprintf("arn:%s:iam::%s:root", part, acct), acct, "the account's root user"),
		mk(fmt.Sprintf("arn:%s:iam::%s:user/fixpolicy-user", part, acct), "AIDAFIXPOLICYUSER0001", "an IAM user of the account"),
		mk(fmt.Sprintf("arn:%s:sts::%s:assumed-role/fixpolicy-role/console", part, acct), "AROAFIXPOLICYROLE0001:console", "a role session of the account"),
	}
	seen := map[string]bool{}
	for _, p := range policies {
		for _, s := range p.Statements {
			for _, e := range s.Principal.Values["AWS"] {
				c, err := ParseCaller(e)
				if err != nil || c.Account != acct || seen[e] {
					continue
				}
				seen[e] = true
				switch c.Kind {
				case IAMUser:
					out = append(out, mk(e, "AIDAFIXPOLICYNAMED"+fmt.Sprint(len(out)), "the account's user "+e))
				case IAMRole:
					sess := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/console", part, acct, c.Name)
					cc := mk(sess, "AROAFIXPOLICYNAMED"+fmt.Sprint(len(out))+":console", "a session of the account's role "+e)
					cc.derived["aws:principalarn"] = []string{e}
					out = append(out, cc)
				case AssumedRole:
					out = append(out, mk(e, "AROAFIXPOLICYNAMED"+fmt.Sprint(len(out))+":"+c.Session, "the account's session "+e))
				}
			}
		}
	}
	return out
}

// consoleSpace models the AWS Backup console's two reads, signed by a
// principal of the account in a browser: over TLS, from the internet (no VPC
// endpoint), not through an AWS service. The source address and every other
// key are free.
func (f Facts) consoleSpace(p *Policy) *space {
	known := map[string][]string{
		"aws:securetransport":       {"true"},
		"aws:viaawsservice":         {"false"},
		"aws:principalisawsservice": {"false"},
		"aws:resourceaccount":       {f.AccountID},
	}
	absent := map[string]bool{"aws:sourcevpce": true, "aws:sourcevpc": true, "aws:vpcsourceip": true,
		"aws:calledvia": true, "aws:calledviafirst": true, "aws:calledvialast": true, "aws:sourcearn": true,
		"aws:sourceaccount": true, "aws:principalservicename": true}
	if org := f.orgID(p); org != "" {
		known["aws:principalorgid"] = []string{org}
	}
	return &space{
		callers:   f.accountCallers(p),
		actions:   ConsoleActions,
		resources: func(string) []string { return []string{f.bucketARN()} },
		known:     known,
		absent:    absent,
		choices:   map[string][]string{"s3:tlsversion": tlsVersions},
	}
}

// bucketFromPolicy infers the bucket from the policy's resource ARNs.
func bucketFromPolicy(p *Policy) (string, error) {
	names := map[string]bool{}
	for _, s := range p.Statements {
		for _, r := range s.Resources {
			const pre = ":s3:::"
			i := strings.Index(r, pre)
			if i < 0 {
				continue
			}
			name := r[i+len(pre):]
			if j := strings.IndexByte(name, '/'); j >= 0 {
				name = name[:j]
			}
			if name == "" || strings.ContainsAny(name, "*?$") {
				continue
			}
			names[name] = true
		}
	}
	if len(names) == 1 {
		for n := range names {
			return n, nil
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("cannot tell which bucket the policy belongs to (its resources name no bucket): pass --bucket")
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	return "", fmt.Errorf("the policy names several buckets (%s): pass --bucket", strings.Join(list, ", "))
}
