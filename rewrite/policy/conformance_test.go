package policy

import (
	"encoding/json"
	"strings"
)

// Whole-policy conformance table for Policy.Decide, the evaluator behind
// `fixpolicy simulate`: each case is a policy, a request and the decision
// (with the deciding statements) that AWS's documentation gives.
//
// Rule short names (IAM User Guide pages, docs.aws.amazon.com/IAM/latest/UserGuide/<name>.html):
//
//	IAM-principal     reference_policies_elements_principal
//	IAM-notprincipal  reference_policies_elements_notprincipal
//	IAM-action        reference_policies_elements_action
//	IAM-notaction     reference_policies_elements_notaction
//	IAM-resource      reference_policies_elements_resource
//	IAM-notresource   reference_policies_elements_notresource
//	IAM-condition     reference_policies_elements_condition
//	IAM-operators     reference_policies_elements_condition_operators
//	IAM-multi         reference_policies_multi-value-conditions
//	IAM-multi-ex      reference_policies_condition_examples-multi-valued-context-keys
//	IAM-vars          reference_policies_variables
//	IAM-version       reference_policies_elements_version
//	IAM-eval          reference_policies_evaluation-logic
//	IAM-xacct         reference_policies_evaluation-logic-cross-account
//	IAM-keys          reference_policies_condition-keys
//	S3-principals     AmazonS3 s3-bucket-user-policy-specifying-principal-intro
//	DESIGN            the package documentation, "Evaluation" (IAM-eval for bucket policies)
//	§N                a decision taken where AWS is silent (cond's doc.go, "Semantic decisions")
//
// Where AWS's documentation and iam-simulate disagree,
// the table follows AWS and the comment says so.

const (
	cfOwn     = "111122223333" // the bucket owner (simulate --account-id)
	cfOther   = "444455556666"
	cfBkt     = "arn:aws:s3:::b"
	cfObj     = "arn:aws:s3:::b/k"
	cfAlice   = "arn:aws:iam::111122223333:user/alice"
	cfBob     = "arn:aws:iam::444455556666:user/bob"
	cfOwnRoot = "arn:aws:iam::111122223333:root"
	cfOthRoot = "arn:aws:iam::444455556666:root"
	cfRole    = "arn:aws:iam::111122223333:role/service-role/Backup"
	cfSess    = "arn:aws:sts::111122223333:assumed-role/Backup/s1"
	cfOthSess = "arn:aws:sts::444455556666:assumed-role/Reader/r1"
	cfAnon    = "anonymous"
	cfTrail   = "cloudtrail.amazonaws.com"
	cfCanon   = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
)

// Policy builders: stm builds a statement from elements (prn, nprn, act,
// nact, rsc, nrsc, cnd); pol12 wraps statements in a 2012-10-17 policy,
// pol08 in a 2008-10-17 one, polNoVersion in one without Version.
func stm(effect string, elems ...string) string {
	return `{"Effect":"` + effect + `",` + strings.Join(elems, ",") + `}`
}
func prn(raw string) string    { return `"Principal":` + raw }
func nprn(raw string) string   { return `"NotPrincipal":` + raw }
func act(v ...string) string   { return `"Action":` + jlist(v) }
func nact(v ...string) string  { return `"NotAction":` + jlist(v) }
func rsc(v ...string) string   { return `"Resource":` + jlist(v) }
func nrsc(v ...string) string  { return `"NotResource":` + jlist(v) }
func cnd(raw string) string    { return `"Condition":` + raw }
func awsPr(v ...string) string { return `{"AWS":` + jlist(v) + `}` }
func pol12(st ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
}
func pol08(st ...string) string {
	return `{"Version":"2008-10-17","Statement":[` + strings.Join(st, ",") + `]}`
}
func polNoVersion(s string) string { return `{"Statement":` + s + `}` }

func jlist(v []string) string {
	b, _ := json.Marshal(v)
	if len(v) == 1 {
		b, _ = json.Marshal(v[0])
	}
	return string(b)
}

// allowGet is an Allow for everyone on s3:GetObject over b/*; cond adds a
// Condition (raw JSON) when not empty.
func allowGet(cond string) string {
	if cond == "" {
		return pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*")))
	}
	return pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*"), cnd(cond)))
}

// denyGet is the Deny counterpart of allowGet.
func denyGet(cond string) string {
	return pol12(stm("Deny", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*"), cnd(cond)))
}

// rq builds a request; kv are context key/value pairs, a key repeated
// becomes multi-valued; a key followed by the value "[]" is present with
// no values.
func rq(principal, action, resource string, kv ...string) Request {
	r := Request{Principal: principal, Action: action, Resource: resource}
	if len(kv) > 0 {
		r.Context = map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "[]" {
				r.Context[kv[i]] = []string{}
				continue
			}
			r.Context[kv[i]] = append(r.Context[kv[i]], kv[i+1])
		}
	}
	return r
}

// get is alice's s3:GetObject on b/k with the given context.
func aliceGet(kv ...string) Request { return rq(cfAlice, "s3:GetObject", cfObj, kv...) }

type confCase struct {
	rule   string // the documented rule the case comes from
	policy string
	req    Request
	owner  string // bucket owner's account; "-" means unknown ("")
	want   Decision
	stmts  []int // deciding statements (0-based)
}

var (
	cfDeny0  = []int{0}
	cfAllow0 = []int{0}
	cfNone   = []int{}
)

var conformance = []confCase{
	// ===== Principal forms (IAM-principal, S3-principals) =====================================
	// "*" is everyone, including anonymous callers.
	{"IAM-principal: \"*\" matches anonymous", allowGet(""), rq(cfAnon, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: \"*\" matches an IAM user of another account", allowGet(""), rq(cfBob, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: \"*\" matches a user of the owner account (names it: not mere delegation)", allowGet(""), aliceGet(), "", Allow, cfAllow0},
	{"IAM-principal: \"*\" matches a service principal", allowGet(""), rq(cfTrail, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: \"*\" matches a role session", allowGet(""), rq(cfSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	// {"AWS":"*"}: every authenticated principal; for anonymous callers S3 treats it like "*".
	{"S3-principals: {\"AWS\":\"*\"} matches an assumed-role session", pol12(stm("Allow", prn(awsPr("*")), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"S3-principals: {\"AWS\":\"*\"} and \"*\" are equivalent for anonymous callers", pol12(stm("Allow", prn(awsPr("*")), act("s3:GetObject"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"S3-principals: {\"AWS\":\"*\"} names the owner-account user itself, so it grants", pol12(stm("Allow", prn(awsPr("*")), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	// §1.3 UNCONFIRMED whether {"AWS":"*"} covers service principals; decided: it does not (only "*" does).
	{"§1.3: {\"AWS\":\"*\"} does not match a service principal (UNCONFIRMED by AWS; decided)", pol12(stm("Allow", prn(awsPr("*")), act("s3:GetObject"), rsc(cfObj))), rq(cfTrail, "s3:GetObject", cfObj), "", None, cfNone},
	// Account principals: the 12-digit ID and the root ARN both mean the whole account.
	{"IAM-principal: account ID grants to a user of that (other) account", pol12(stm("Allow", prn(awsPr(cfOther)), act("s3:GetObject"), rsc(cfObj))), rq(cfBob, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: account root ARN grants to a user of that (other) account", pol12(stm("Allow", prn(awsPr(cfOthRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfBob, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: account root ARN grants to a role session of that account", pol12(stm("Allow", prn(awsPr(cfOthRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfOthSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: an account principal does not match other accounts", pol12(stm("Allow", prn(awsPr(cfOther)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-principal: an account principal does not match anonymous callers", pol12(stm("Allow", prn(awsPr(cfOthRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: an account principal does not match a service principal", pol12(stm("Allow", prn(awsPr(cfOthRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfTrail, "s3:GetObject", cfObj), "", None, cfNone},
	// Delegation: an Allow naming only the owner's own account delegates to its IAM policies.
	{"DESIGN/IAM-eval: Allow naming the owner account ID delegates: none for its user", pol12(stm("Allow", prn(awsPr(cfOwn)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"DESIGN/IAM-eval: Allow naming the owner root ARN delegates: none for its role session", pol12(stm("Allow", prn(awsPr(cfOwnRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"DESIGN: Allow naming the owner account delegates even for its root user (the account ARN is the account, IAM-principal)", pol12(stm("Allow", prn(awsPr(cfOwnRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfOwnRoot, "s3:GetObject", cfObj), "", None, cfNone},
	{"DESIGN: with the owner unknown (no --account-id) a matching account Allow counts", pol12(stm("Allow", prn(awsPr(cfOwn)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "-", Allow, cfAllow0},
	{"IAM-xacct/DESIGN: for another account's principal any matching Allow counts, even by account", pol12(stm("Allow", prn(awsPr(cfOther)), act("s3:GetObject"), rsc(cfObj))), rq(cfOthSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"DESIGN: an exact principal in the same list wins over the account entry", pol12(stm("Allow", prn(awsPr(cfOwnRoot, cfAlice)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"DESIGN: a delegating Allow is not listed; the naming one is", pol12(stm("Allow", prn(awsPr(cfOwn)), act("s3:GetObject"), rsc(cfObj)), stm("Allow", prn(awsPr(cfAlice)), act("s3:*"), rsc(cfObj))), aliceGet(), "", Allow, []int{1}},
	// Users.
	{"IAM-principal: a user ARN of the owner account names the user: allow", pol12(stm("Allow", prn(awsPr(cfAlice)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-principal: a user ARN does not match another user", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:user/carol")), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-principal: the user name in Principal is case-sensitive", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:user/Alice")), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-principal: a user with a path is named with its path", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:user/eng/dana")), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:iam::111122223333:user/eng/dana", "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: a user ARN with another path is another principal", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:user/ops/dana")), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:iam::111122223333:user/eng/dana", "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: a user ARN in another account is another principal", pol12(stm("Allow", prn(awsPr("arn:aws:iam::444455556666:user/alice")), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-ids: a partition is part of the ARN (aws-cn root is not the aws account)", pol12(stm("Allow", prn(awsPr("arn:aws-cn:iam::444455556666:root")), act("s3:GetObject"), rsc(cfObj))), rq(cfBob, "s3:GetObject", cfObj), "", None, cfNone},
	// Roles and sessions.
	{"IAM-principal: a role ARN matches the role's sessions (owner account: names it)", pol12(stm("Allow", prn(awsPr(cfRole)), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: a role ARN with its path matches sessions, whose ARN has no path", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:role/service-role/Backup")), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:sts::111122223333:assumed-role/Backup/AWSBackup-Backup", "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: a role ARN does not match another role's sessions", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:role/Other")), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: a role ARN does not match a user of the same name", pol12(stm("Allow", prn(awsPr("arn:aws:iam::111122223333:role/alice")), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-principal: a session ARN names that session", pol12(stm("Allow", prn(awsPr(cfSess)), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: a session ARN does not match another session of the role", pol12(stm("Allow", prn(awsPr(cfSess)), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:sts::111122223333:assumed-role/Backup/s2", "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: a session ARN does not match the same session name of another role", pol12(stm("Allow", prn(awsPr(cfSess)), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:sts::111122223333:assumed-role/Other/s1", "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: a federated-user ARN names that federated user", pol12(stm("Allow", prn(awsPr("arn:aws:sts::444455556666:federated-user/carol")), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:sts::444455556666:federated-user/carol", "s3:GetObject", cfObj), "", Allow, cfAllow0},
	// Unique IDs stored for deleted or renamed identities.
	{"IAM-principal/IAM-ids: a role's unique ID matches its sessions via aws:userid", pol12(stm("Allow", prn(awsPr("AROAEXAMPLEROLEID0001")), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj, "aws:userid", "AROAEXAMPLEROLEID0001:s1"), "", Allow, cfAllow0},
	{"IAM-principal/IAM-ids: a user's unique ID matches the user via aws:userid", pol12(stm("Allow", prn(awsPr("AIDAEXAMPLEUSERID001")), act("s3:GetObject"), rsc(cfObj))), aliceGet("aws:userid", "AIDAEXAMPLEUSERID001"), "", Allow, cfAllow0},
	{"IAM-ids: a unique ID does not match another ID that merely starts with it", pol12(stm("Allow", prn(awsPr("AROAEXAMPLE")), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj, "aws:userid", "AROAEXAMPLEROLEID0001:s1"), "", None, cfNone},
	{"IAM-ids: without aws:userid a unique ID cannot be matched", pol12(stm("Allow", prn(awsPr("AROAEXAMPLEROLEID0001")), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	// Service and canonical-user principals.
	{"IAM-principal: a Service principal matches that service", pol12(stm("Allow", prn(`{"Service":"cloudtrail.amazonaws.com"}`), act("s3:PutObject"), rsc(cfObj))), rq(cfTrail, "s3:PutObject", cfObj), "", Allow, cfAllow0},
	{"IAM-principal: a Service principal does not match another service", pol12(stm("Allow", prn(`{"Service":["logging.s3.amazonaws.com"]}`), act("s3:PutObject"), rsc(cfObj))), rq(cfTrail, "s3:PutObject", cfObj), "", None, cfNone},
	{"IAM-keys: a Service principal does not match a service-role session (aws:PrincipalIsAWSService false)", pol12(stm("Allow", prn(`{"Service":"backup.amazonaws.com"}`), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"S3-principals: a CanonicalUser principal matches that canonical ID (hex, any case)", pol12(stm("Allow", prn(`{"CanonicalUser":"`+strings.ToUpper(cfCanon)+`"}`), act("s3:GetObject"), rsc(cfObj))), rq(cfCanon, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"S3-principals: a CanonicalUser principal does not match another canonical ID", pol12(stm("Allow", prn(`{"CanonicalUser":"`+strings.Repeat("ab", 32)+`"}`), act("s3:GetObject"), rsc(cfObj))), rq(cfCanon, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: several principal types in one element are ORed", pol12(stm("Allow", prn(`{"AWS":"`+cfBob+`","Service":"cloudtrail.amazonaws.com"}`), act("s3:PutObject"), rsc(cfObj))), rq(cfTrail, "s3:PutObject", cfObj), "", Allow, cfAllow0},
	// Deny with account principals.
	{"§4.2/DESIGN: a Deny naming the owner account ID denies every principal in it (a user)", pol12(stm("Deny", prn(awsPr(cfOwn)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Deny, cfDeny0},
	{"§4.2/DESIGN: a Deny naming the root ARN denies the account's role sessions", pol12(stm("Deny", prn(awsPr(cfOwnRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"§4.2/DESIGN: a Deny naming the account denies its root user", pol12(stm("Deny", prn(awsPr(cfOwnRoot)), act("s3:GetObject"), rsc(cfObj))), rq(cfOwnRoot, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"§4.2: a Deny naming another account does not touch the owner's principals", pol12(stm("Deny", prn(awsPr(cfOther)), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"§4.2: a Deny naming an account does not touch anonymous callers", pol12(stm("Deny", prn(awsPr(cfOwn)), act("s3:GetObject"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-principal: a Deny naming one user does not deny another user", pol12(stm("Deny", prn(awsPr(cfAlice)), act("s3:GetObject"), rsc(cfObj))), rq("arn:aws:iam::111122223333:user/carol", "s3:GetObject", cfObj), "", None, cfNone},

	// ===== NotPrincipal, staged account/role/session evaluation (IAM-notprincipal, §4.3) ========
	// AWS: to exempt a role session, list the account, the role and the session ARN;
	// iam-simulate (§9.2) lets a role ARN alone exempt the role's sessions. We follow AWS.
	{"IAM-notprincipal: account + role + session listed: the session is excluded", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfRole, cfSess)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal (iam-simulate differs, §9.2): the role ARN alone does not exclude its session", pol12(stm("Deny", nprn(awsPr(cfRole)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: account + role without the session ARN: the session is denied", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfRole)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: role + session without the account: denied at the account level", pol12(stm("Deny", nprn(awsPr(cfRole, cfSess)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: account + session without the role: denied at the role level", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfSess)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: the account may be listed by its 12-digit ID", pol12(stm("Deny", nprn(awsPr(cfOwn, cfRole, cfSess)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal: another session of the listed role is denied", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfRole, cfSess)), act("s3:*"), rsc(cfObj))), rq("arn:aws:sts::111122223333:assumed-role/Backup/s2", "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: account + user listed: the user is excluded", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfAlice)), act("s3:*"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-notprincipal: the user alone (no account): the entire account, user included, is denied", pol12(stm("Deny", nprn(awsPr(cfAlice)), act("s3:*"), rsc(cfObj))), aliceGet(), "", Deny, cfDeny0},
	{"IAM-notprincipal: the account alone excludes the root user", pol12(stm("Deny", nprn(awsPr(cfOwnRoot)), act("s3:*"), rsc(cfObj))), rq(cfOwnRoot, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal: the account alone does not exclude the account's users", pol12(stm("Deny", nprn(awsPr(cfOwnRoot)), act("s3:*"), rsc(cfObj))), aliceGet(), "", Deny, cfDeny0},
	{"IAM-notprincipal: principals of other accounts are denied", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfAlice)), act("s3:*"), rsc(cfObj))), rq(cfBob, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: anonymous callers are denied unless \"*\" is listed", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, cfAlice)), act("s3:*"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal: {\"AWS\":\"*\"} lists every AWS principal at every level: a session is excluded", pol12(stm("Deny", nprn(awsPr("*")), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal/S3-principals: {\"AWS\":\"*\"} excludes anonymous callers too", pol12(stm("Deny", nprn(awsPr("*")), act("s3:*"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal: a listed Service principal is excluded", pol12(stm("Deny", nprn(`{"Service":"cloudtrail.amazonaws.com"}`), act("s3:*"), rsc(cfObj))), rq(cfTrail, "s3:PutObject", cfObj), "", None, cfNone},
	{"IAM-notprincipal: an unlisted service is denied", pol12(stm("Deny", nprn(`{"Service":"logging.s3.amazonaws.com"}`), act("s3:*"), rsc(cfObj))), rq(cfTrail, "s3:PutObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notprincipal/IAM-ids: a role's unique ID stands for the role level, the session ARN is still needed", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, "AROAEXAMPLEROLEID0001", cfSess)), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj, "aws:userid", "AROAEXAMPLEROLEID0001:s1"), "", None, cfNone},
	{"IAM-notprincipal/IAM-ids: account + role unique ID without the session ARN: denied", pol12(stm("Deny", nprn(awsPr(cfOwnRoot, "AROAEXAMPLEROLEID0001")), act("s3:*"), rsc(cfObj))), rq(cfSess, "s3:GetObject", cfObj, "aws:userid", "AROAEXAMPLEROLEID0001:s1"), "", Deny, cfDeny0},
	{"IAM-notprincipal: NotPrincipal with Allow (discouraged) grants everyone not listed", pol12(stm("Allow", nprn(awsPr(cfBob)), act("s3:GetObject"), rsc(cfObj))), rq(cfAnon, "s3:GetObject", cfObj), "", Allow, cfAllow0},
	{"IAM-notprincipal: a Deny with NotPrincipal still needs its action to match", pol12(stm("Deny", nprn(awsPr(cfOwnRoot)), act("s3:PutObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},

	// ===== Action and NotAction (IAM-action, IAM-notaction) ===================================
	{"IAM-action: exact action", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-action: another action does not match", pol12(stm("Allow", prn(`"*"`), act("s3:PutObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-action: actions are case-insensitive (policy side)", pol12(stm("Allow", prn(`"*"`), act("S3:getobject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-action: actions are case-insensitive (request side)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfObj))), rq(cfAlice, "S3:GETOBJECT", cfObj), "", Allow, cfAllow0},
	{"IAM-action: * at the end", pol12(stm("Allow", prn(`"*"`), act("s3:Get*"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-action: s3:Get* does not cover PutObject", pol12(stm("Allow", prn(`"*"`), act("s3:Get*"), rsc(cfObj))), rq(cfAlice, "s3:PutObject", cfObj), "", None, cfNone},
	{"IAM-action: * in the middle", pol12(stm("Allow", prn(`"*"`), act("s3:*Object"), rsc(cfObj))), rq(cfAlice, "s3:PutObject", cfObj), "", Allow, cfAllow0},
	{"IAM-action: the whole name must match (*Object vs GetObjectAcl)", pol12(stm("Allow", prn(`"*"`), act("s3:*Object"), rsc(cfObj))), rq(cfAlice, "s3:GetObjectAcl", cfObj), "", None, cfNone},
	{"IAM-action: ? matches exactly one character", pol12(stm("Allow", prn(`"*"`), act("s3:Get?bject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-action: ? does not match two characters", pol12(stm("Allow", prn(`"*"`), act("s3:Get?bject"), rsc(cfObj))), rq(cfAlice, "s3:GetXXbject", cfObj), "", None, cfNone},
	{"IAM-action: lower-case wildcard pattern", pol12(stm("Allow", prn(`"*"`), act("s3:get*"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-action: \"*\" alone is every action of every service", pol12(stm("Allow", prn(`"*"`), act("*"), rsc(cfObj))), rq(cfAlice, "s3express:CreateSession", cfObj), "", Allow, cfAllow0},
	{"IAM-action/§1.4: s3:* does not cover s3express", pol12(stm("Allow", prn(`"*"`), act("s3:*"), rsc(cfObj))), rq(cfAlice, "s3express:CreateSession", cfObj), "", None, cfNone},
	{"IAM-action: the service prefix is matched whole (s3* is not s3:)", pol12(stm("Allow", prn(`"*"`), act("s3-object-lambda:*"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-action: a list of actions is ORed", pol12(stm("Allow", prn(`"*"`), act("s3:PutObject", "s3:GetObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-notaction: Deny + NotAction denies an unlisted action", pol12(stm("Deny", prn(`"*"`), nact("s3:GetObject"), rsc(cfObj))), rq(cfAlice, "s3:PutObject", cfObj), "", Deny, cfDeny0},
	{"IAM-notaction: Deny + NotAction leaves the listed action alone", pol12(stm("Deny", prn(`"*"`), nact("s3:GetObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-notaction: NotAction with a wildcard excludes every match", pol12(stm("Deny", prn(`"*"`), nact("s3:Get*"), rsc(cfObj))), rq(cfAlice, "s3:GetObjectAcl", cfObj), "", None, cfNone},
	{"IAM-notaction: NotAction with a wildcard denies the rest", pol12(stm("Deny", prn(`"*"`), nact("s3:Get*"), rsc(cfBkt))), rq(cfAlice, "s3:ListBucket", cfBkt), "", Deny, cfDeny0},
	{"IAM-notaction: NotAction is case-insensitive too", pol12(stm("Deny", prn(`"*"`), nact("S3:GETOBJECT"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-notaction: Allow + NotAction grants the unlisted actions", pol12(stm("Allow", prn(`"*"`), nact("s3:DeleteObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-notaction: NotAction covers other services' actions too", pol12(stm("Deny", prn(`"*"`), nact("s3:*"), rsc(cfObj))), rq(cfAlice, "s3express:CreateSession", cfObj), "", Deny, cfDeny0},

	// ===== Resource and NotResource (IAM-resource, IAM-notresource) ===========================
	{"IAM-resource: the bucket ARN matches the bucket", pol12(stm("Allow", prn(`"*"`), act("s3:ListBucket"), rsc(cfBkt))), rq(cfAlice, "s3:ListBucket", cfBkt), "", Allow, cfAllow0},
	{"IAM-resource: the bucket ARN does not match its objects", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfBkt))), aliceGet(), "", None, cfNone},
	{"IAM-resource: b/* does not match the bucket itself", pol12(stm("Allow", prn(`"*"`), act("s3:ListBucket"), rsc("arn:aws:s3:::b/*"))), rq(cfAlice, "s3:ListBucket", cfBkt), "", None, cfNone},
	{"IAM-resource: b/* does not match another bucket whose name starts with b", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::bb/k"), "", None, cfNone},
	{"IAM-resource/§1.5: an object key containing ':' is within the resource segment", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/2026:11:24/x.csv"), "", Allow, cfAllow0},
	{"IAM-resource/§1.5: a pattern with ':' in the key matches literally", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/logs:2026/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/logs:2026/a:b"), "", Allow, cfAllow0},
	{"IAM-resource/§1.5: a key pattern with ':' rejects another key", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/logs:2026/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/logs:2025/a"), "", None, cfNone},
	{"IAM-resource: * spans '/' (bucket/*/test/*)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*/test/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/1/2/test/3/x"), "", Allow, cfAllow0},
	{"IAM-resource: the key must still fit the pattern (no test/ segment)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*/test/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/1/2/prod/3/x"), "", None, cfNone},
	{"IAM-resource: ? matches one character of a key", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/file?.txt"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/file1.txt"), "", Allow, cfAllow0},
	{"IAM-resource: ? does not match two characters", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/file?.txt"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/file10.txt"), "", None, cfNone},
	{"IAM-resource: ? matches one multibyte character of a key", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/日?/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/日本/ファイル.txt"), "", Allow, cfAllow0},
	{"IAM-resource: object keys are case-sensitive", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/Data/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/data/x"), "", None, cfNone},
	{"IAM-resource: keys with spaces and repeated slashes", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/my docs/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/my docs//x y"), "", Allow, cfAllow0},
	{"IAM-resource: \"*\" matches every resource", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("*"))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-resource: arn:aws:s3:::* covers buckets and objects", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::*"))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-resource: a '*' ending a segment may expand across ':' (arn:aws:s3:*)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:*"))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-resource: segments are matched one by one (region differs)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:us-east-1::b/k"), "", None, cfNone},
	{"IAM-resource: ? in the service segment matches one character (s?)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s?:::b/*"))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-resource: the partition segment is literal", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws-cn:s3:::b/*"))), aliceGet(), "", None, cfNone},
	{"IAM-resource: a resource list is ORed", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfBkt, "arn:aws:s3:::b/k"))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-notresource: Deny + NotResource denies resources not listed", pol12(stm("Deny", prn(`"*"`), act("s3:GetObject"), nrsc("arn:aws:s3:::b/public/*"))), aliceGet(), "", Deny, cfDeny0},
	{"IAM-notresource: Deny + NotResource leaves listed resources alone", pol12(stm("Deny", prn(`"*"`), act("s3:GetObject"), nrsc("arn:aws:s3:::b/public/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/public/i:x"), "", None, cfNone},
	{"IAM-notresource: NotResource denies other buckets entirely", pol12(stm("Deny", prn(`"*"`), act("s3:*"), nrsc(cfBkt, "arn:aws:s3:::b/*"))), rq(cfAlice, "s3:ListBucket", "arn:aws:s3:::other"), "", Deny, cfDeny0},
	{"IAM-notresource: Allow + NotResource grants the unlisted", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), nrsc("arn:aws:s3:::b/secret/*"))), aliceGet(), "", Allow, cfAllow0},

	// ===== Conditions through whole policies (IAM-operators, IAM-condition) ====================
	// String.
	{"IAM-operators: StringEquals matches exactly", allowGet(`{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet("aws:SourceVpce", "vpce-1"), "", Allow, cfAllow0},
	{"IAM-operators: StringEquals is case-sensitive", allowGet(`{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet("aws:SourceVpce", "VPCE-1"), "", None, cfNone},
	{"IAM-condition: condition key names are case-insensitive", allowGet(`{"StringEquals":{"AWS:SOURCEVPCE":"vpce-1"}}`), aliceGet("aws:sourcevpce", "vpce-1"), "", Allow, cfAllow0},
	{"IAM-multi: several policy values are ORed", allowGet(`{"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}`), aliceGet("aws:SourceVpce", "vpce-2"), "", Allow, cfAllow0},
	{"IAM-operators: StringNotEquals denies a different value", denyGet(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet("aws:SourceVpce", "vpce-9"), "", Deny, cfDeny0},
	{"IAM-multi: negated operators NOR their values: a listed value escapes the Deny", denyGet(`{"StringNotEquals":{"aws:SourceVpce":["vpce-1","vpce-2"]}}`), aliceGet("aws:SourceVpce", "vpce-2"), "", None, cfNone},
	{"IAM-operators: StringEqualsIgnoreCase", allowGet(`{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"BUCKET-OWNER-FULL-CONTROL"}}`), aliceGet("s3:x-amz-acl", "bucket-owner-full-control"), "", Allow, cfAllow0},
	{"IAM-operators: StringNotEqualsIgnoreCase is false for a case variant", denyGet(`{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"Eng"}}`), aliceGet("aws:PrincipalTag/team", "ENG"), "", None, cfNone},
	{"IAM-operators: StringLike with *", allowGet(`{"StringLike":{"s3:prefix":"home/*"}}`), aliceGet("s3:prefix", "home/alice/"), "", Allow, cfAllow0},
	{"IAM-operators: StringLike with ?", allowGet(`{"StringLike":{"aws:userid":"AIDA?:x"}}`), aliceGet("aws:userid", "AIDA1:x"), "", Allow, cfAllow0},
	{"IAM-operators: StringLike is case-sensitive", allowGet(`{"StringLike":{"s3:prefix":"Home/*"}}`), aliceGet("s3:prefix", "home/alice/"), "", None, cfNone},
	{"IAM-operators: StringNotLike exempts the backup role's sessions (Patch A)", denyGet(`{"StringNotLike":{"aws:userid":"AROAEXAMPLEROLEID0001:*"}}`), rq(cfSess, "s3:GetObject", cfObj, "aws:userid", "AROAEXAMPLEROLEID0001:s1"), "", None, cfNone},
	{"IAM-operators: StringNotLike denies everyone else", denyGet(`{"StringNotLike":{"aws:userid":"AROAEXAMPLEROLEID0001:*"}}`), aliceGet("aws:userid", "AIDAALICE"), "", Deny, cfDeny0},
	{"IAM-operators: StringEquals with a JSON number value compares its text", allowGet(`{"StringEquals":{"s3:max-keys":10}}`), aliceGet("s3:max-keys", "10"), "", Allow, cfAllow0},
	// Numeric.
	{"IAM-operators: NumericEquals", allowGet(`{"NumericEquals":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "10"), "", Allow, cfAllow0},
	{"IAM-operators: NumericEquals compares numbers, not text (10.0 = 10)", allowGet(`{"NumericEquals":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "10.0"), "", Allow, cfAllow0},
	{"IAM-operators: NumericNotEquals", denyGet(`{"NumericNotEquals":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "11"), "", Deny, cfDeny0},
	{"IAM-operators: NumericLessThan (request < policy)", allowGet(`{"NumericLessThan":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "9"), "", Allow, cfAllow0},
	{"IAM-operators: NumericLessThan is strict", allowGet(`{"NumericLessThan":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "10"), "", None, cfNone},
	{"IAM-operators: NumericLessThanEquals", allowGet(`{"NumericLessThanEquals":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "10"), "", Allow, cfAllow0},
	{"IAM-operators: NumericGreaterThan", allowGet(`{"NumericGreaterThan":{"s3:TlsVersion":"1.1"}}`), aliceGet("s3:TlsVersion", "1.2"), "", Allow, cfAllow0},
	{"IAM-operators: NumericGreaterThanEquals", denyGet(`{"NumericGreaterThanEquals":{"s3:object-lock-remaining-retention-days":"30"}}`), aliceGet("s3:object-lock-remaining-retention-days", "29"), "", None, cfNone},
	{"§2.3/cond: a request value that is not a number satisfies neither NumericEquals nor NumericNotEquals", denyGet(`{"NumericNotEquals":{"s3:max-keys":"10"}}`), aliceGet("s3:max-keys", "ten"), "", None, cfNone},
	// Date.
	{"IAM-operators: DateEquals (ISO 8601)", allowGet(`{"DateEquals":{"aws:CurrentTime":"2026-11-24T10:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T10:00:00Z"), "", Allow, cfAllow0},
	{"IAM-operators: DateEquals compares instants (time zone offsets)", allowGet(`{"DateEquals":{"aws:CurrentTime":"2026-11-24T10:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T19:00:00+09:00"), "", Allow, cfAllow0},
	{"IAM-operators: DateNotEquals", denyGet(`{"DateNotEquals":{"aws:CurrentTime":"2026-11-24T10:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T10:00:01Z"), "", Deny, cfDeny0},
	{"IAM-operators: DateLessThan", allowGet(`{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T10:00:00Z"), "", Allow, cfAllow0},
	{"IAM-operators: DateLessThanEquals at the boundary", allowGet(`{"DateLessThanEquals":{"aws:CurrentTime":"2026-11-24T10:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T10:00:00Z"), "", Allow, cfAllow0},
	{"IAM-operators: DateGreaterThan", denyGet(`{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`), aliceGet("aws:CurrentTime", "2026-11-24T10:00:00Z"), "", None, cfNone},
	{"IAM-operators: DateGreaterThanEquals with epoch seconds", allowGet(`{"DateGreaterThanEquals":{"aws:EpochTime":"1764000000"}}`), aliceGet("aws:EpochTime", "1764000000"), "", Allow, cfAllow0},
	{"IAM-operators: dates in epoch seconds and ISO 8601 compare", allowGet(`{"DateLessThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`), aliceGet("aws:TokenIssueTime", "1700000000"), "", Allow, cfAllow0},
	// Bool.
	{"IAM-operators: Bool aws:SecureTransport false denies plain HTTP", denyGet(`{"Bool":{"aws:SecureTransport":"false"}}`), aliceGet("aws:SecureTransport", "false"), "", Deny, cfDeny0},
	{"IAM-operators: Bool false does not deny TLS requests", denyGet(`{"Bool":{"aws:SecureTransport":"false"}}`), aliceGet("aws:SecureTransport", "true"), "", None, cfNone},
	{"IAM-grammar: a JSON boolean literal is the same as the string", denyGet(`{"Bool":{"aws:SecureTransport":false}}`), aliceGet("aws:SecureTransport", "false"), "", Deny, cfDeny0},
	{"IAM-operators: Bool on a missing key is false", denyGet(`{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`), aliceGet(), "", None, cfNone},
	// Binary.
	{"IAM-operators: BinaryEquals compares base64 values", allowGet(`{"BinaryEquals":{"s3:x-amz-key":"QmluYXJ5VmFsdWU="}}`), aliceGet("s3:x-amz-key", "QmluYXJ5VmFsdWU="), "", Allow, cfAllow0},
	{"IAM-operators: BinaryEquals does not match other bytes", allowGet(`{"BinaryEquals":{"s3:x-amz-key":"QmluYXJ5VmFsdWU="}}`), aliceGet("s3:x-amz-key", "T3RoZXI="), "", None, cfNone},
	// IP.
	{"IAM-operators: IpAddress with an IPv4 CIDR", allowGet(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), aliceGet("aws:SourceIp", "203.0.113.9"), "", Allow, cfAllow0},
	{"IAM-operators: IpAddress outside the range", allowGet(`{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), aliceGet("aws:SourceIp", "198.51.100.1"), "", None, cfNone},
	{"IAM-operators: a bare IP is a /32", allowGet(`{"IpAddress":{"aws:SourceIp":"203.0.113.9"}}`), aliceGet("aws:SourceIp", "203.0.113.9"), "", Allow, cfAllow0},
	{"IAM-operators: IpAddress with an IPv6 CIDR", allowGet(`{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`), aliceGet("aws:SourceIp", "2001:db8:1234:5678::1"), "", Allow, cfAllow0},
	{"IAM-operators: NotIpAddress denies addresses outside the office (seed 001)", denyGet(`{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`), aliceGet("aws:SourceIp", "52.95.1.10"), "", Deny, cfDeny0},
	{"IAM-operators: NotIpAddress lets the office in", denyGet(`{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`), aliceGet("aws:SourceIp", "192.0.2.77"), "", None, cfNone},
	{"§2.3: an IPv6 request is outside an IPv4-only allow list (NotIpAddress true)", denyGet(`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), aliceGet("aws:SourceIp", "2001:db8::1"), "", Deny, cfDeny0},
	// ARN.
	{"IAM-operators: ArnEquals", allowGet(`{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}`), aliceGet("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"), "", Allow, cfAllow0},
	{"IAM-operators: ArnLike with wildcards per part", allowGet(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}`), aliceGet("aws:SourceArn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/t"), "", Allow, cfAllow0},
	{"IAM-operators: ArnLike wildcards do not cross ':' (StringLike would)", allowGet(`{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`), aliceGet("aws:SourceArn", "arn:aws:someservice:us-east-1:extra:111122223333:finance/x"), "", None, cfNone},
	{"IAM-operators: StringLike wildcards do cross ':'", allowGet(`{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`), aliceGet("aws:SourceArn", "arn:aws:someservice:us-east-1:extra:111122223333:finance/x"), "", Allow, cfAllow0},
	{"IAM-operators: ArnNotEquals on aws:PrincipalArn (derived from the caller)", denyGet(`{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/alice"}}`), aliceGet(), "", None, cfNone},
	{"IAM-operators/§3: ArnNotLike without the role path does not exempt a pathed role", denyGet(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Backup"}}`), rq(cfSess, "s3:GetObject", cfObj, "aws:PrincipalArn", cfRole), "", Deny, cfDeny0},
	{"IAM-operators/§3: ArnNotLike with the role path exempts it", denyGet(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/service-role/*"}}`), rq(cfSess, "s3:GetObject", cfObj, "aws:PrincipalArn", cfRole), "", None, cfNone},
	// Null.
	{"IAM-operators: Null true matches a missing key", denyGet(`{"Null":{"aws:SourceVpce":"true"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: Null true is false for a present key", denyGet(`{"Null":{"aws:SourceVpce":"true"}}`), aliceGet("aws:SourceVpce", "vpce-1"), "", None, cfNone},
	{"IAM-operators: Null false matches a present key", allowGet(`{"Null":{"aws:PrincipalTag/team":"false"}}`), aliceGet("aws:PrincipalTag/team", "eng"), "", Allow, cfAllow0},
	{"IAM-operators: Null false is false for a missing key", allowGet(`{"Null":{"aws:PrincipalTag/team":"false"}}`), aliceGet(), "", None, cfNone},
	// Missing keys.
	{"IAM-operators: a missing key makes a positive operator false", allowGet(`{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet(), "", None, cfNone},
	{"IAM-operators/seed 000: a missing key makes a negated operator true (the VPC-endpoint lock-out)", denyGet(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: NotIpAddress on a missing key is true", denyGet(`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: IpAddress on a missing key is false", denyGet(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), aliceGet(), "", None, cfNone},
	{"IAM-operators: ArnNotEquals on a missing key is true", denyGet(`{"ArnNotEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: NumericLessThan on a missing key is false", denyGet(`{"NumericLessThan":{"s3:TlsVersion":"1.2"}}`), aliceGet(), "", None, cfNone},
	// IfExists.
	{"IAM-operators: ...IfExists is true on a missing key (positive operator)", allowGet(`{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}`), aliceGet(), "", Allow, cfAllow0},
	{"IAM-operators: ...IfExists evaluates a present key normally", allowGet(`{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}`), aliceGet("aws:SourceVpce", "vpce-2"), "", None, cfNone},
	{"IAM-operators: StringNotEqualsIfExists still denies on a missing key", denyGet(`{"StringNotEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: BoolIfExists false on a missing MFA key denies", denyGet(`{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: NumericLessThanIfExists on a missing key is true", denyGet(`{"NumericLessThanIfExists":{"s3:TlsVersion":"1.2"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-operators: IpAddressIfExists present and outside is false", allowGet(`{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`), aliceGet("aws:SourceIp", "192.0.2.1"), "", None, cfNone},
	{"§9.4: operator names are read case-insensitively (iam-simulate does; AWS acceptance UNCONFIRMED)", allowGet(`{"stringequals":{"aws:SourceVpce":"vpce-1"}}`), aliceGet("aws:SourceVpce", "vpce-1"), "", Allow, cfAllow0},
	{"IAM-operators (iam-simulate differs): ...IfExists is true on a missing key even under ForAnyValue", allowGet(`{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"team*"}}`), aliceGet(), "", Allow, cfAllow0},
	// Set operators on multivalued keys.
	{"IAM-multi: ForAnyValue matches when one request value matches", allowGet(`{"ForAnyValue:StringEquals":{"aws:TagKeys":["project","team"]}}`), aliceGet("aws:TagKeys", "cost", "aws:TagKeys", "team"), "", Allow, cfAllow0},
	{"IAM-multi: ForAnyValue is false when none does", allowGet(`{"ForAnyValue:StringEquals":{"aws:TagKeys":["project","team"]}}`), aliceGet("aws:TagKeys", "cost", "aws:TagKeys", "owner"), "", None, cfNone},
	{"IAM-multi: ForAnyValue is false on a missing key", allowGet(`{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}`), aliceGet(), "", None, cfNone},
	{"IAM-multi: ForAllValues is true when every request value is listed", allowGet(`{"ForAllValues:StringEquals":{"aws:TagKeys":["project","team"]}}`), aliceGet("aws:TagKeys", "team", "aws:TagKeys", "project"), "", Allow, cfAllow0},
	{"IAM-multi: ForAllValues is false when one value is not listed", allowGet(`{"ForAllValues:StringEquals":{"aws:TagKeys":["project","team"]}}`), aliceGet("aws:TagKeys", "team", "aws:TagKeys", "cost"), "", None, cfNone},
	{"IAM-multi: ForAllValues is true on a missing key", allowGet(`{"ForAllValues:StringEquals":{"aws:TagKeys":"team"}}`), aliceGet(), "", Allow, cfAllow0},
	{"IAM-multi: ForAllValues is true on an empty value list", allowGet(`{"ForAllValues:StringEquals":{"aws:TagKeys":"team"}}`), aliceGet("aws:TagKeys", "[]"), "", Allow, cfAllow0},
	{"IAM-multi-ex: Deny + ForAllValues:StringNotLike on a missing key denies", denyGet(`{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}`), aliceGet(), "", Deny, cfDeny0},
	{"IAM-multi: ForAnyValue:StringLike over several values", denyGet(`{"ForAnyValue:StringLike":{"aws:TagKeys":"secret*"}}`), aliceGet("aws:TagKeys", "team", "aws:TagKeys", "secret-x"), "", Deny, cfDeny0},
	{"§2.4: a plain operator on a multivalued request key never matches", allowGet(`{"StringEquals":{"aws:TagKeys":"team"}}`), aliceGet("aws:TagKeys", "team", "aws:TagKeys", "cost"), "", None, cfNone},
	{"§2.4: a single value under a set operator is a one-element set", allowGet(`{"ForAllValues:StringLike":{"aws:PrincipalTag/team":"eng*"}}`), aliceGet("aws:PrincipalTag/team", "eng-platform"), "", Allow, cfAllow0},
	// AND / OR structure.
	{"IAM-condition: several operators are ANDed (both hold)", denyGet(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), aliceGet("aws:SourceIp", "52.95.1.10"), "", Deny, cfDeny0},
	{"IAM-condition: several operators are ANDed (one fails)", denyGet(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), aliceGet("aws:SourceIp", "192.0.2.5"), "", None, cfNone},
	{"IAM-condition: several keys under one operator are ANDed", allowGet(`{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:PrincipalTag/team":"eng"}}`), aliceGet("aws:SourceVpce", "vpce-1"), "", None, cfNone},
	{"IAM-condition: several keys under one operator, all true", allowGet(`{"StringEquals":{"aws:SourceVpce":"vpce-1","aws:PrincipalTag/team":"eng"}}`), aliceGet("aws:SourceVpce", "vpce-1", "aws:PrincipalTag/team", "eng"), "", Allow, cfAllow0},
	{"IAM-keys/§3: aws:PrincipalAccount is derived from the caller", denyGet(`{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`), rq(cfBob, "s3:GetObject", cfObj), "", Deny, cfDeny0},
	{"IAM-keys/§3: aws:PrincipalAccount of an owner-account session", denyGet(`{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`), rq(cfSess, "s3:GetObject", cfObj), "", None, cfNone},
	{"IAM-keys: aws:userid is \"anonymous\" for anonymous callers", denyGet(`{"StringEquals":{"aws:userid":"anonymous"}}`), rq(cfAnon, "s3:GetObject", cfObj), "", Deny, cfDeny0},

	// ===== Policy variables (IAM-vars, IAM-version) ==========================================
	{"IAM-vars: ${aws:username} in Resource: a user's own home", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${aws:username}/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x"), "", Allow, cfAllow0},
	{"IAM-vars: ${aws:username} in Resource: not another user's home", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${aws:username}/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/home/bob/x"), "", None, cfNone},
	{"IAM-vars: key names in variables are case-insensitive", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${AWS:UserName}/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x"), "", Allow, cfAllow0},
	{"IAM-vars: in Resource, a variable without a value matches nothing (role sessions have no aws:username)", pol12(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${aws:username}/*"))), rq(cfSess, "s3:GetObject", "arn:aws:s3:::b/home/s1/x"), "", None, cfNone},
	{"IAM-vars (iam-simulate differs, §9.1): negated operator with an unresolvable variable matches, so the Deny applies", denyGet(`{"StringNotEquals":{"s3:prefix":"home/${aws:username}/"}}`), rq(cfSess, "s3:GetObject", cfObj, "s3:prefix", "home/s1/"), "", Deny, cfDeny0},
	{"IAM-vars (iam-simulate differs, §9.1): StringNotLike with an unresolvable variable matches", denyGet(`{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"}}`), rq(cfSess, "s3:GetObject", cfObj, "s3:prefix", "home/s1/x"), "", Deny, cfDeny0},
	{"IAM-vars: a positive operator with an unresolvable variable does not match", allowGet(`{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`), rq(cfSess, "s3:GetObject", cfObj, "s3:prefix", "home/s1/"), "", None, cfNone},
	{"IAM-vars: StringNotEquals with a resolved variable (own prefix) does not deny", denyGet(`{"StringNotEquals":{"s3:prefix":"home/${aws:username}/"}}`), aliceGet("s3:prefix", "home/alice/"), "", None, cfNone},
	{"IAM-vars: ${aws:PrincipalAccount} in an ArnLike value", allowGet(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:${aws:PrincipalAccount}:trail/*"}}`), aliceGet("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"), "", Allow, cfAllow0},
	{"IAM-vars: ${aws:PrincipalAccount} of another account does not match", allowGet(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:${aws:PrincipalAccount}:trail/*"}}`), rq(cfBob, "s3:GetObject", cfObj, "aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"), "", None, cfNone},
	{"IAM-vars: aws:PrincipalAccount equals ${aws:ResourceAccount} (the S3Backup managed-policy pattern)", allowGet(`{"StringEquals":{"aws:PrincipalAccount":"${aws:ResourceAccount}"}}`), aliceGet("aws:ResourceAccount", "111122223333"), "", Allow, cfAllow0},
	{"IAM-vars: a tag variable resolves from the context", allowGet(`{"StringEquals":{"s3:ExistingObjectTag/team":"${aws:PrincipalTag/team}"}}`), aliceGet("aws:PrincipalTag/team", "eng", "s3:ExistingObjectTag/team", "eng"), "", Allow, cfAllow0},
	{"IAM-vars: a default value applies when the key is missing", allowGet(`{"StringEquals":{"s3:ExistingObjectTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}`), aliceGet("s3:ExistingObjectTag/team", "company-wide"), "", Allow, cfAllow0},
	{"IAM-vars: ${*} is a literal * (StringLike a${*} does not match ab)", allowGet(`{"StringLike":{"s3:prefix":"a${*}"}}`), aliceGet("s3:prefix", "ab"), "", None, cfNone},
	{"IAM-vars: ${*} is a literal * (matches a*)", allowGet(`{"StringLike":{"s3:prefix":"a${*}"}}`), aliceGet("s3:prefix", "a*"), "", Allow, cfAllow0},
	{"IAM-vars: ${?} is a literal ?", allowGet(`{"StringLike":{"s3:prefix":"why${?}"}}`), aliceGet("s3:prefix", "why?"), "", Allow, cfAllow0},
	{"IAM-vars: ${$} is a literal $", allowGet(`{"StringEquals":{"s3:prefix":"cost${$}"}}`), aliceGet("s3:prefix", "cost$"), "", Allow, cfAllow0},
	{"IAM-vars: a substituted value is literal inside a Like pattern", allowGet(`{"StringLike":{"s3:prefix":"${aws:PrincipalTag/p}"}}`), aliceGet("aws:PrincipalTag/p", "a*", "s3:prefix", "abc"), "", None, cfNone},
	{"IAM-vars: a multivalued key cannot be a variable (no value)", allowGet(`{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`), aliceGet("aws:TagKeys", "a", "aws:TagKeys", "b", "s3:prefix", "a"), "", None, cfNone},
	{"IAM-version/IAM-vars: under 2008-10-17 ${aws:username} is literal text in a condition", pol08(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfObj), cnd(`{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`))), aliceGet("s3:prefix", "home/${aws:username}/"), "", Allow, cfAllow0},
	{"IAM-version/IAM-vars: under 2008-10-17 the variable is not substituted", pol08(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc(cfObj), cnd(`{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}`))), aliceGet("s3:prefix", "home/alice/"), "", None, cfNone},
	{"IAM-version: under 2008-10-17 a variable in Resource is literal", pol08(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${aws:username}/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/home/alice/x"), "", None, cfNone},
	{"IAM-version: under 2008-10-17 the literal resource text matches itself", pol08(stm("Allow", prn(`"*"`), act("s3:GetObject"), rsc("arn:aws:s3:::b/home/${aws:username}/*"))), rq(cfAlice, "s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/x"), "", Allow, cfAllow0},
	{"IAM-version: without Version, variables are literal (StringNotEquals on a session does not fire)", polNoVersion(stm("Deny", prn(`"*"`), act("s3:GetObject"), rsc(cfObj), cnd(`{"StringNotEquals":{"s3:prefix":"${aws:username}"}}`))), rq(cfSess, "s3:GetObject", cfObj, "s3:prefix", "${aws:username}"), "", None, cfNone},

	// ===== Several statements (IAM-eval) ======================================================
	{"IAM-eval: an explicit Deny overrides an Allow", pol12(stm("Allow", prn(`"*"`), act("s3:*"), rsc(cfObj)), stm("Deny", prn(`"*"`), act("s3:GetObject"), rsc(cfObj))), aliceGet(), "", Deny, []int{1}},
	{"IAM-eval: every matching Deny is reported", pol12(stm("Deny", prn(`"*"`), act("s3:Get*"), rsc(cfObj)), stm("Allow", prn(`"*"`), act("s3:*"), rsc(cfObj)), stm("Deny", prn(awsPr(cfOwn)), act("*"), rsc("*"))), aliceGet(), "", Deny, []int{0, 2}},
	{"IAM-eval: a Deny that does not match leaves the Allow", pol12(stm("Allow", prn(`"*"`), act("s3:*"), rsc(cfObj)), stm("Deny", prn(`"*"`), act("s3:PutObject"), rsc(cfObj))), aliceGet(), "", Allow, cfAllow0},
	{"IAM-eval: every granting Allow is reported", pol12(stm("Allow", prn(awsPr(cfAlice)), act("s3:GetObject"), rsc(cfObj)), stm("Allow", prn(`"*"`), act("s3:Get*"), rsc("arn:aws:s3:::b/*"))), aliceGet(), "", Allow, []int{0, 1}},
	{"IAM-eval: no statement matches: none", pol12(stm("Allow", prn(awsPr(cfBob)), act("s3:GetObject"), rsc(cfObj)), stm("Deny", prn(`"*"`), act("s3:DeleteObject"), rsc(cfObj))), aliceGet(), "", None, cfNone},
	{"IAM-eval: a Deny with a false condition and an Allow", pol12(stm("Deny", prn(`"*"`), act("s3:*"), rsc(cfObj), cnd(`{"Bool":{"aws:SecureTransport":"false"}}`)), stm("Allow", prn(awsPr(cfAlice)), act("s3:GetObject"), rsc(cfObj))), aliceGet("aws:SecureTransport", "true"), "", Allow, []int{1}},
	{"IAM-eval: a delegating Allow and a Deny: Deny", pol12(stm("Allow", prn(awsPr(cfOwn)), act("s3:*"), rsc(cfObj)), stm("Deny", prn(`"*"`), act("s3:*"), rsc(cfObj), cnd(`{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}`))), aliceGet(), "", Deny, []int{1}},
	{"IAM-statement: a single Statement object (not an array)", polNoVersion(stm("Deny", prn(`"*"`), act("s3:*"), rsc(cfObj))), aliceGet(), "", Deny, cfDeny0},

	// ===== The seeds' policies, and the patched form (DESIGN) ===============================
	{"seed 000/IAM-operators: the backup role's session has no aws:SourceVpce: denied", seedPolicy("seed000-vpce-only"), rq("arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole", "s3:GetObject", "arn:aws:s3:::mtzml-20231208/a.csv", "aws:userid", "AROAEXAMPLEROLEID0001:AWSBackup-AWSBackupDefaultServiceRole", "aws:SourceIp", "52.95.1.10"), "012345678901", Deny, cfDeny0},
	{"seed 000: through the VPC endpoint: not denied (and no Allow: none)", seedPolicy("seed000-vpce-only"), rq("arn:aws:iam::012345678901:user/alice", "s3:GetObject", "arn:aws:s3:::mtzml-20231208/a.csv", "aws:SourceVpce", "vpce-12345678901234567"), "012345678901", None, cfNone},
	{"seed 000: the console's versioning read is denied too", seedPolicy("seed000-vpce-only"), rq("arn:aws:iam::012345678901:user/alice", "s3:GetBucketVersioning", "arn:aws:s3:::mtzml-20231208"), "012345678901", Deny, cfDeny0},
	{"seed 001: the backup role comes from an AWS address: denied", seedPolicy("seed001-office-ip"), rq("arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole", "s3:ListBucket", "arn:aws:s3:::awsbackup-test-001", "aws:SourceIp", "52.95.1.10"), "012345678901", Deny, cfDeny0},
	{"seed 001: the office address is let in", seedPolicy("seed001-office-ip"), rq("arn:aws:iam::012345678901:user/alice", "s3:ListBucket", "arn:aws:s3:::awsbackup-test-001", "aws:SourceIp", "203.0.113.200"), "012345678901", None, cfNone},
	{"DESIGN Patch A: the patched seed 000 no longer denies the backup role's session", seedPolicy("seed000-fixed"), rq("arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole", "s3:GetObject", "arn:aws:s3:::mtzml-20231208/a.csv", "aws:userid", "AROAEXAMPLEROLEID0001:AWSBackup-AWSBackupDefaultServiceRole"), "012345678901", None, cfNone},
	{"DESIGN Patch A: the patched seed 000 still denies everyone else outside the endpoint", seedPolicy("seed000-fixed"), rq("arn:aws:iam::012345678901:user/alice", "s3:GetObject", "arn:aws:s3:::mtzml-20231208/a.csv", "aws:userid", "AIDAALICE"), "012345678901", Deny, cfDeny0},
	{"DESIGN Patch B: the account's principals may read the bucket's versioning from anywhere", seedPolicy("seed000-fixed"), rq("arn:aws:iam::012345678901:user/alice", "s3:GetBucketVersioning", "arn:aws:s3:::mtzml-20231208", "aws:userid", "AIDAALICE"), "012345678901", None, cfNone},
	{"DESIGN Patch B: other accounts' principals still may not, outside the endpoint", seedPolicy("seed000-fixed"), rq("arn:aws:iam::444455556666:user/bob", "s3:GetBucketVersioning", "arn:aws:s3:::mtzml-20231208", "aws:userid", "AIDABOB"), "012345678901", Deny, []int{1}},
}
