package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// kindError is the finding kind of a target that could not be checked.
const kindError = "error"

// A rule is one kind of finding, as SARIF describes it.
type rule struct {
	id, name, kind, level string
	short, full           string
	help, helpMarkdown    string
}

// rules are the SARIF rules, one per finding kind. Their IDs and order are
// stable: code scanning matches alerts across runs by rule ID.
var rules = []rule{
	{
		id: "FP001", name: "BlocksAWSBackup", kind: rewrite.KindExempt, level: "error",
		short: "Bucket policy statement blocks AWS Backup",
		full: "A Deny statement of the S3 bucket policy matches the requests AWS Backup's service role makes to back up " +
			"or restore the bucket (a role session with no VPC endpoint, an AWS-owned source address, over TLS), " +
			"so backups and restores of the bucket fail with Access Denied.",
		help: "Exempt the backup role's sessions from the Deny: add the condition " +
			`StringNotLike {"aws:userid": "ROLEID:*"}, where ROLEID is the role's unique ID ` +
			"(aws iam get-role --role-name AWSBackupDefaultServiceRole --query Role.RoleId). " +
			"fixpolicy --write (policy files) or fixpolicy --bucket NAME (live buckets) makes exactly this change and " +
			"proves that nobody else gains access; --exempt-by principal-arn uses ArnNotLike aws:PrincipalArn instead.",
		helpMarkdown: "Exempt the backup role's sessions from the Deny by adding a condition on the role's unique ID " +
			"(`aws iam get-role --role-name AWSBackupDefaultServiceRole --query Role.RoleId`):\n\n" +
			"```json\n\"StringNotLike\": {\"aws:userid\": \"AROAEXAMPLEROLEID0001:*\"}\n```\n\n" +
			"`fixpolicy --write` (policy files) or `fixpolicy --bucket NAME` (live buckets) makes exactly this change " +
			"and proves that nobody else gains access. `--exempt-by principal-arn` uses `ArnNotLike aws:PrincipalArn` instead.",
	},
	{
		id: "FP002", name: "ConsoleCannotReadVersioning", kind: rewrite.KindSplit, level: "error",
		short: "Bucket policy stops the AWS Backup console reading the bucket's versioning and location",
		full: "A Deny statement denies s3:GetBucketVersioning and s3:GetBucketLocation to principals of the bucket's own " +
			"account. The AWS Backup console makes these two reads with the signed-in user's credentials when a bucket " +
			"is assigned to a backup plan, so the assignment fails silently with 403.",
		help: "Carve the two reads out of the Deny: the statement stops covering s3:GetBucketLocation and " +
			"s3:GetBucketVersioning, and a new Deny statement covers exactly those two actions on the bucket, with the " +
			`original conditions plus StringNotEquals {"aws:PrincipalAccount": "ACCOUNT"}. Nothing changes for other ` +
			"accounts. fixpolicy --write makes this change; --no-split leaves the reads denied.",
		helpMarkdown: "Carve the two reads out of the Deny: the statement stops covering `s3:GetBucketLocation` and " +
			"`s3:GetBucketVersioning`, and a new Deny statement covers exactly those two actions on the bucket ARN, " +
			"with the original conditions plus:\n\n" +
			"```json\n\"StringNotEquals\": {\"aws:PrincipalAccount\": \"012345678901\"}\n```\n\n" +
			"Nothing changes for other accounts. `fixpolicy --write` makes this change; `--no-split` leaves the reads denied.",
	},
	{
		id: "FP003", name: "StaleBackupRoleId", kind: rewrite.KindStale, level: "warning",
		short: "Bucket policy exempts a RoleId that is not the backup role's current one",
		full: "A statement exempts an aws:userid RoleId (AROA...) that is not the current unique ID of the backup role. " +
			"A role that is deleted and re-created under the same name gets a new RoleId, so the old exemption no " +
			"longer matches and AWS Backup is denied again.",
		help: "Add the current RoleId (aws iam get-role --role-name ROLE --query Role.RoleId) next to the old one, and " +
			"remove the old entry once nothing uses it. fixpolicy adds the current RoleId and keeps the old entry.",
		helpMarkdown: "Add the current RoleId (`aws iam get-role --role-name ROLE --query Role.RoleId`) next to the old " +
			"one, and remove the old entry once nothing uses it. `fixpolicy --write` adds the current RoleId and keeps " +
			"the old entry.",
	},
	{
		id: "FP004", name: "PatchRefused", kind: rewrite.KindRefused, level: "error",
		short: "Bucket policy blocks AWS Backup and cannot be patched safely",
		full: "fixpolicy found statements that block AWS Backup but refused to patch the policy: the result would " +
			"exceed S3's 20 KB policy size limit, or the patch could not be proved to change nothing else.",
		help: "Read the reason in the result's message. Shorten the policy (merge statements, shorten long lists of " +
			"addresses or endpoints) and run fixpolicy again, or patch it by hand.",
		helpMarkdown: "Read the reason in the result's message. Shorten the policy (merge statements, shorten long " +
			"lists of addresses or endpoints) and run `fixpolicy` again, or patch it by hand.",
	},
	{
		id: "FP005", name: "PolicyError", kind: kindError, level: "error",
		short: "Bucket policy could not be checked",
		full: "fixpolicy could not read or parse the policy (invalid JSON, an invalid policy element, or an I/O or " +
			"AWS error), so it cannot tell whether the policy blocks AWS Backup.",
		help:         "Fix the problem named in the result's message; S3 refuses most such documents in PutBucketPolicy too.",
		helpMarkdown: "Fix the problem named in the result's message; S3 refuses most such documents in `PutBucketPolicy` too.",
	},
}

// ruleIndex is the rule of a finding kind; kinds this file does not know
// yet are reported under the last rule.
func ruleIndex(kind string) int {
	for i, r := range rules {
		if r.kind == kind {
			return i
		}
	}
	return len(rules) - 1
}

// region is a span of source text: 1-based lines, 1-based columns counted
// in UTF-16 code units (SARIF's default column kind), the end column
// exclusive. Zero means unknown.
type region struct {
	startLine, startCol, endLine, endCol int
}

// regionOf is the region of a source span; line is the fallback when the
// span is unknown.
func regionOf(sp jsonast.Span, line int) region {
	if sp.IsZero() {
		return region{startLine: max(line, 1)}
	}
	return region{startLine: sp.Start.Line, startCol: sp.Start.Col16, endLine: sp.End.Line, endCol: sp.End.Col16}
}

// errorRegion locates a report's error: invalid JSON at the character its
// message names, an invalid element at the line its message names, anything
// else at the first line.
func errorRegion(err error) region {
	var pe *rewrite.Error
	if !errors.As(err, &pe) || pe.Line < 1 {
		return region{startLine: 1}
	}
	if pe.Code == rewrite.CodeJSONSyntax && pe.Column16 >= 1 {
		return region{startLine: pe.Line, startCol: pe.Column16, endLine: pe.Line, endCol: pe.Column16 + 1}
	}
	return region{startLine: pe.Line}
}

// A result is one finding as the pull-request formats show it: a change
// entry of a report, or a report's error.
type result struct {
	r       *Report
	rule    int
	level   string // error, warning or note
	kind    string
	stmt    int // 0-based statement index; -1 for the whole policy
	sid     string
	label   string // the statement as the prose names it
	para    int    // index of the statement's paragraph in r.Explanations, or -1
	title   string // one line
	message string
	file    string // the policy file as given; "" when the target is not a file
	abs     bool   // file is absolute
	reg     region
	fp      string // partial fingerprint
}

// results lists the results of every report, in report and change order.
func results(reports []*Report) []result {
	var out []result
	seen := map[string]int{}
	for _, r := range reports {
		file, abs := targetFile(r)
		add := func(f result) {
			f.r, f.file, f.abs = r, file, abs
			f.rule = ruleIndex(f.kind)
			f.level = rules[f.rule].level
			if r.Status == StatusPatched && f.kind != kindError {
				f.level = "note"
			}
			ident := "stmt:" + strconv.Itoa(f.stmt)
			if f.sid != "" {
				ident = "sid:" + f.sid
			}
			key := strings.Join([]string{"fixpolicy/v1", artifactURI(r), ident, f.kind}, "\x00")
			seen[key]++
			sum := sha256.Sum256([]byte(key))
			f.fp = hex.EncodeToString(sum[:8]) + ":" + strconv.Itoa(seen[key])
			out = append(out, f)
		}
		refused := false
		for _, fd := range r.Findings {
			f := result{kind: fd.Kind, stmt: fd.Statement, sid: fd.Sid, label: fd.Label, para: fd.Paragraph, reg: regionOf(fd.Span, fd.Line)}
			if fd.Kind == rewrite.KindRefused {
				refused = true
				f.stmt, f.sid = -1, ""
			}
			f.title, f.message = changeText(r, f, fd.Explanation)
			add(f)
		}
		if r.Status == StatusRefused && !refused {
			// A refusal without its change entry (not one of FromResult's
			// reports): located at the start of the document.
			f := result{kind: rewrite.KindRefused, stmt: -1, para: -1, reg: region{startLine: 1}}
			f.title, f.message = changeText(r, f, r.Error)
			add(f)
		}
		if r.Status == StatusError {
			f := result{kind: kindError, stmt: -1, para: -1, reg: errorRegion(r.Err)}
			f.title = "the policy could not be checked"
			f.message = "fixpolicy could not check this policy: " + sentence(r.Error)
			add(f)
		}
	}
	return out
}

// targetFile is the policy file a report is about and whether it is
// absolute, or "" for buckets and standard input.
func targetFile(r *Report) (file string, abs bool) {
	if r.File == "-" {
		return "", false
	}
	if r.File != "" {
		return r.File, r.FileAbs
	}
	// Error reports made without a File: their target is the path.
	if r.Status == StatusError && r.Target != "" && r.Target != "<stdin>" && !strings.HasPrefix(r.Target, "s3://") {
		return r.Target, path.IsAbs(r.Target)
	}
	return "", false
}

func bucketOf(r *Report) string {
	if r.Bucket != "" {
		return r.Bucket
	}
	return strings.TrimPrefix(r.Target, "s3://")
}

// artifactURI is the SARIF artifact location of a report, which also
// identifies the target in fingerprints: the file's path relative as given
// (absolute paths become file: URIs); for a bucket, the scheme-less
// "s3/BUCKET" (GitHub rejects a whole upload whose URIs use a scheme other
// than file); "stdin" for standard input.
func artifactURI(r *Report) string {
	if f, abs := targetFile(r); f != "" {
		return fileURI(f, abs)
	}
	if r.File == "-" || r.Target == "<stdin>" {
		return "stdin"
	}
	return (&url.URL{Path: "s3/" + bucketOf(r)}).String()
}

// fileURI is a slash-separated path as a URI reference: relative paths
// cleaned, absolute ones as file: URIs (a drive letter after a slash).
func fileURI(s string, abs bool) string {
	if abs {
		if !strings.HasPrefix(s, "/") {
			s = "/" + s // C:/x
		}
		return (&url.URL{Scheme: "file", Path: s}).String()
	}
	return (&url.URL{Path: path.Clean(s)}).String()
}

// displayPath is the path annotations name: relative paths cleaned.
func displayPath(s string, abs bool) string {
	if !abs {
		s = path.Clean(s)
	}
	return s
}

// changeText is the title and message of a finding: what is wrong and what
// the patch does; explanation is its change entry's.
func changeText(r *Report, f result, explanation string) (title, msg string) {
	label := f.label
	var b strings.Builder
	switch f.kind {
	case rewrite.KindExempt:
		title = label + " blocks AWS Backup"
		fmt.Fprintf(&b, "%s blocks AWS Backup: it %s", capitalize(label), sentence(explanation))
	case rewrite.KindSplit:
		title = label + " stops the AWS Backup console reading the bucket"
		fmt.Fprintf(&b, "%s stops the AWS Backup console assigning the bucket: it %s", capitalize(label), sentence(explanation))
	case rewrite.KindStale:
		title = label + " exempts a stale backup-role RoleId"
		b.WriteString(capitalize(sentence(explanation)))
	case rewrite.KindRefused:
		title = "the patch was refused"
		b.WriteString("fixpolicy will not patch this policy: " + sentence(explanation))
		return title, b.String()
	default:
		title = label + ": " + f.kind
		b.WriteString(capitalize(label) + ": " + sentence(explanation))
	}
	if f.kind == rewrite.KindExempt || f.kind == rewrite.KindSplit {
		if p := paragraph(r, f.para); p != "" {
			b.WriteString("\n\n" + capitalize(p))
		}
	}
	file, _ := targetFile(r)
	b.WriteString("\n\n" + applyHint(r, file))
	return title, b.String()
}

// paragraph is the report's explanation i, or "".
func paragraph(r *Report, i int) string {
	if i < 0 || i >= len(r.Explanations) {
		return ""
	}
	return r.Explanations[i]
}

// applyHint says how to apply the patch, or that it was applied or refused.
func applyHint(r *Report, file string) string {
	switch {
	case r.Status == StatusPatched:
		return "fixpolicy has applied the patch."
	case r.Status == StatusRefused:
		return "fixpolicy refused to patch this policy (see the patch-refused finding)."
	case file != "":
		return "fixpolicy --write applies the patch (run it with the same --role-id and --account-id); fixpolicy --dry-run shows the diff."
	}
	return fmt.Sprintf("fixpolicy --bucket %s applies the patch after showing the diff.", bucketOf(r))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// sentence ends s with a full stop unless it has one.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
