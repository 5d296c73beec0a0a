package main

// The pull-request formats: -o sarif (GitHub code scanning), -o markdown (a
// pull-request comment or job summary) and -o github (workflow-command
// annotations plus the job summary). All three see every report at once.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fixpolicy/fixpolicy/rewrite"
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

// A finding is one result: a change entry of a report, or a report's error.
type finding struct {
	r       *report
	rule    int
	level   string // error, warning or note
	kind    string
	stmt    int // 0-based statement index; -1 for the whole policy
	sid     string
	title   string // one line
	message string
	file    string // the policy file as given; "" when the target is not a file
	reg     region
	fp      string // partial fingerprint
}

// findings lists the results of every report, in report and change order.
func findings(reports []*report) []finding {
	var out []finding
	seen := map[string]int{}
	for _, r := range reports {
		file := targetFile(r)
		src := newSourceIndex(r.source)
		add := func(f finding) {
			f.r, f.file = r, file
			f.rule = ruleIndex(f.kind)
			f.level = rules[f.rule].level
			if r.Status == statusPatched && f.kind != kindError {
				f.level = "note"
			}
			ident := "stmt:" + strconv.Itoa(f.stmt)
			if f.sid != "" {
				ident = "sid:" + f.sid
			}
			key := strings.Join([]string{"fixpolicy/v1", locationKey(r), ident, f.kind}, "\x00")
			seen[key]++
			sum := sha256.Sum256([]byte(key))
			f.fp = hex.EncodeToString(sum[:8]) + ":" + strconv.Itoa(seen[key])
			out = append(out, f)
		}
		refused := false
		for _, c := range r.Changes {
			f := finding{kind: c.Kind, stmt: c.Statement, sid: c.Sid}
			if c.Kind == rewrite.KindRefused {
				refused = true
				f.stmt, f.sid = -1, ""
				f.reg = src.whole()
			} else {
				f.reg = src.statement(c.Statement, c.Line)
			}
			f.title, f.message = changeText(r, c, file)
			add(f)
		}
		if r.Status == statusRefused && !refused {
			c := rewrite.Change{Statement: -1, Kind: rewrite.KindRefused, Explanation: r.Error}
			f := finding{kind: c.Kind, stmt: -1, reg: src.whole()}
			f.title, f.message = changeText(r, c, file)
			add(f)
		}
		if r.Status == statusError {
			f := finding{kind: kindError, stmt: -1, reg: errorRegion(r.Error)}
			f.title = "the policy could not be checked"
			f.message = "fixpolicy could not check this policy: " + sentence(r.Error)
			add(f)
		}
	}
	return out
}

// targetFile is the policy file a report is about, or "" for buckets and
// standard input.
func targetFile(r *report) string {
	if r.file == "-" {
		return ""
	}
	if r.file != "" {
		return r.file
	}
	// Error reports of files do not record the path; their target is it.
	if r.Status == statusError && r.Target != "" && r.Target != "<stdin>" && !strings.HasPrefix(r.Target, "s3://") {
		return r.Target
	}
	return ""
}

func bucketOf(r *report) string {
	if r.Bucket != "" {
		return r.Bucket
	}
	return strings.TrimPrefix(r.Target, "s3://")
}

// locationKey identifies a target in fingerprints: its URI.
func locationKey(r *report) string {
	return artifactURI(r)
}

// artifactURI is the SARIF artifact location of a report: the file's path
// relative as given (absolute paths become file: URIs); for a bucket, the
// scheme-less "s3/BUCKET" (GitHub rejects a whole upload whose URIs use a
// scheme other than file); "stdin" for standard input.
func artifactURI(r *report) string {
	if f := targetFile(r); f != "" {
		return fileURI(f)
	}
	if r.file == "-" || r.Target == "<stdin>" {
		return "stdin"
	}
	return (&url.URL{Path: "s3/" + bucketOf(r)}).String()
}

func fileURI(p string) string {
	s := filepath.ToSlash(p)
	if filepath.IsAbs(p) {
		if !strings.HasPrefix(s, "/") {
			s = "/" + s // C:/x
		}
		return (&url.URL{Scheme: "file", Path: s}).String()
	}
	return (&url.URL{Path: path.Clean(s)}).String()
}

// displayPath is the path annotations name: relative, with forward slashes.
func displayPath(p string) string {
	s := filepath.ToSlash(p)
	if !filepath.IsAbs(p) {
		s = path.Clean(s)
	}
	return s
}

func stmtLabel(c rewrite.Change) string {
	if c.Sid != "" {
		return fmt.Sprintf("statement %d (Sid %q)", c.Statement+1, c.Sid)
	}
	return fmt.Sprintf("statement %d", c.Statement+1)
}

// paragraphFor finds the report's explanation of a statement.
func paragraphFor(r *report, c rewrite.Change) string {
	label := stmtLabel(c) + " "
	for _, p := range r.Explanations {
		if strings.HasPrefix(p, label) {
			return p
		}
	}
	return ""
}

// changeText is the title and message of a change entry: what is wrong and
// what the patch does.
func changeText(r *report, c rewrite.Change, file string) (title, msg string) {
	label := stmtLabel(c)
	var b strings.Builder
	switch c.Kind {
	case rewrite.KindExempt:
		title = label + " blocks AWS Backup"
		fmt.Fprintf(&b, "%s blocks AWS Backup: it %s", capitalize(label), sentence(c.Explanation))
	case rewrite.KindSplit:
		title = label + " stops the AWS Backup console reading the bucket"
		fmt.Fprintf(&b, "%s stops the AWS Backup console assigning the bucket: it %s", capitalize(label), sentence(c.Explanation))
	case rewrite.KindStale:
		title = label + " exempts a stale backup-role RoleId"
		b.WriteString(capitalize(sentence(c.Explanation)))
	case rewrite.KindRefused:
		title = "the patch was refused"
		b.WriteString("fixpolicy will not patch this policy: " + sentence(c.Explanation))
		return title, b.String()
	default:
		title = label + ": " + c.Kind
		b.WriteString(capitalize(label) + ": " + sentence(c.Explanation))
	}
	if c.Kind == rewrite.KindExempt || c.Kind == rewrite.KindSplit {
		if p := paragraphFor(r, c); p != "" {
			b.WriteString("\n\n" + capitalize(p))
		}
	}
	b.WriteString("\n\n" + applyHint(r, file))
	return title, b.String()
}

// applyHint says how to apply the patch, or that it was applied or refused.
func applyHint(r *report, file string) string {
	switch {
	case r.Status == statusPatched:
		return "fixpolicy has applied the patch."
	case r.Status == statusRefused:
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

var errLineRe = regexp.MustCompile(`(?:^|: )line (\d+)(?:, column (\d+))?`)

// errorRegion takes the position an error message names ("line 19: ...",
// "invalid JSON: line 1, column 114 ..."), else the first line.
func errorRegion(msg string) region {
	m := errLineRe.FindStringSubmatch(msg)
	if m == nil {
		return region{startLine: 1}
	}
	line, _ := strconv.Atoi(m[1])
	if line < 1 {
		line = 1
	}
	reg := region{startLine: line}
	if m[2] != "" {
		if col, _ := strconv.Atoi(m[2]); col >= 1 {
			reg.startCol, reg.endLine, reg.endCol = col, line, col+1
		}
	}
	return reg
}

// sourceIndex finds statements in a policy's source text.
type sourceIndex struct {
	src    []byte
	parsed bool
	pol    *rewrite.Policy
}

func newSourceIndex(src []byte) *sourceIndex { return &sourceIndex{src: src} }

func (s *sourceIndex) policy() *rewrite.Policy {
	if !s.parsed && len(s.src) > 0 {
		s.parsed = true
		s.pol, _ = rewrite.Parse(s.src)
	}
	return s.pol
}

// statement is the region of statement i, from its '{' to its '}'; line is
// the change's own line, used when the source is not at hand.
func (s *sourceIndex) statement(i, line int) region {
	if p := s.policy(); p != nil && i >= 0 && i < len(p.Statements) && p.Statements[i].Node != nil && p.Statements[i].Node.Offset >= 0 {
		return s.span(p.Statements[i].Node.Offset)
	}
	if line < 1 {
		line = 1
	}
	return region{startLine: line}
}

// whole is the region of the whole policy document.
func (s *sourceIndex) whole() region {
	if p := s.policy(); p != nil && p.Root != nil && p.Root.Offset >= 0 {
		return s.span(p.Root.Offset)
	}
	return region{startLine: 1}
}

func (s *sourceIndex) span(off int) region {
	end := closeOf(s.src, off)
	l1, c1 := pos16(s.src, off)
	l2, c2 := pos16(s.src, end)
	return region{startLine: l1, startCol: c1, endLine: l2, endCol: c2}
}

// closeOf returns the offset just past the JSON value starting at off (an
// object or array; anything else is taken as one byte).
func closeOf(src []byte, off int) int {
	if off >= len(src) || (src[off] != '{' && src[off] != '[') {
		return min(off+1, len(src))
	}
	depth, inStr, esc := 0, false, false
	for i := off; i < len(src); i++ {
		c := src[i]
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(src)
}

// pos16 converts a byte offset to a 1-based line and a 1-based column in
// UTF-16 code units; a leading byte order mark is not counted.
func pos16(src []byte, off int) (line, col int) {
	off = max(0, min(off, len(src)))
	line, ls := 1, 0
	for i := 0; i < off; i++ {
		if src[i] == '\n' {
			line, ls = line+1, i+1
		}
	}
	if ls == 0 && strings.HasPrefix(string(src[:min(3, len(src))]), "\ufeff") && off >= 3 {
		ls = 3
	}
	col = 1
	for _, r := range string(src[ls:off]) {
		col += len(utf16.Encode([]rune{r}))
	}
	return line, col
}

// ---- SARIF ----

const (
	sarifSchema    = "https://json.schemastore.org/sarif-2.1.0.json"
	informationURI = "https://github.com/fixpolicy/fixpolicy"
	fingerprintKey = "fixpolicy/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	ColumnKind  string            `json:"columnKind"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation carries what the run itself has to say that is not a
// finding: the organizations it assumed.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level      string            `json:"level"`
	Message    sarifText         `json:"message"`
	Locations  []sarifLocation   `json:"locations,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags            []string `json:"tags"`
	Precision       string   `json:"precision"`
	ProblemSeverity string   `json:"problem.severity"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	Target    string `json:"target"`
	Bucket    string `json:"bucket,omitempty"`
	Status    string `json:"status"`
	Kind      string `json:"kind"`
	Statement *int   `json:"statement,omitempty"` // 0-based, as in -o json
	Sid       string `json:"sid,omitempty"`
	Diff      string `json:"diff,omitempty"` // the whole patch of the target, unified
	// OrgAssumed is the organization the analysis assumed (-o json's org_assumed).
	OrgAssumed string `json:"orgAssumed,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

var semverRe = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// writeSARIF writes one SARIF 2.1.0 log for all reports, as GitHub code
// scanning takes it: one result per change entry (per blocking statement and
// kind), located at the statement in the policy file; a refused patch at the
// whole document; a target that could not be checked as a result of rule
// FP005 at the line its error names. Every result has a location, since
// code scanning rejects a whole file with one unlocated result; bucket
// targets are located at "s3/BUCKET", with the bucket's ARN as a logical
// location.
func writeSARIF(w io.Writer, reports []*report) error {
	drv := sarifDriver{Name: "fixpolicy", Version: version, InformationURI: informationURI}
	if m := semverRe.FindStringSubmatch(version); m != nil {
		drv.SemanticVersion = m[1]
	}
	for _, r := range rules {
		drv.Rules = append(drv.Rules, sarifRule{
			ID: r.id, Name: r.name,
			ShortDescription:     sarifText{r.short},
			FullDescription:      sarifText{r.full},
			Help:                 sarifHelp{Text: r.help, Markdown: r.helpMarkdown},
			DefaultConfiguration: sarifConfig{Level: r.level},
			Properties:           sarifRuleProps{Tags: []string{"aws", "s3", "aws-backup", "bucket-policy"}, Precision: "very-high", ProblemSeverity: r.level},
		})
	}
	results := []sarifResult{}
	for _, f := range findings(reports) {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.r)}}}
		if f.reg.startLine >= 1 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.reg.startLine, StartColumn: f.reg.startCol, EndLine: f.reg.endLine, EndColumn: f.reg.endCol}
		}
		if f.file == "" && strings.HasPrefix(f.r.Target, "s3://") {
			b := bucketOf(f.r)
			loc.LogicalLocations = []sarifLogical{{Name: b, FullyQualifiedName: "arn:aws:s3:::" + b, Kind: "resource"}}
		}
		props := sarifResultProps{Target: f.r.Target, Bucket: f.r.Bucket, Status: f.r.Status, Kind: f.kind, Sid: f.sid, Diff: f.r.Diff, OrgAssumed: f.r.OrgAssumed}
		if f.stmt >= 0 {
			props.Statement = &f.stmt
		}
		results = append(results, sarifResult{
			RuleID: rules[f.rule].id, RuleIndex: f.rule, Level: f.level,
			Message:             sarifText{f.message},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{fingerprintKey: f.fp},
			Properties:          props,
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, ColumnKind: "utf16CodeUnits", Results: results}
	// An assumed organization is not a finding (nothing is wrong), but a
	// reader must know the analysis rests on it: a note of the invocation,
	// located at the target.
	var notes []sarifNotification
	ok := true
	for _, r := range reports {
		ok = ok && r.Status != statusError
		if r.OrgNote == "" {
			continue
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(r)}}}
		notes = append(notes, sarifNotification{Level: "note", Message: sarifText{r.OrgNote}, Locations: []sarifLocation{loc},
			Properties: map[string]string{"target": r.Target, "orgAssumed": r.OrgAssumed}})
	}
	if len(notes) > 0 {
		run.Invocations = []sarifInvocation{{ExecutionSuccessful: ok, ToolExecutionNotifications: notes}}
	}
	log := sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// ---- Markdown ----

var statusBadge = map[string]string{
	statusCompliant:   "✅ compliant",
	statusNeedsChange: "❌ needs change",
	statusPatched:     "🔧 patched",
	statusRefused:     "⛔ refused",
	statusError:       "⚠️ error",
}

func badge(status string) string {
	if b, ok := statusBadge[status]; ok {
		return b
	}
	return status
}

// writeMarkdown writes a pull-request comment: a summary table, then for
// each target that needs attention its explanations, access changes and
// patch; compliant targets get one line each.
func writeMarkdown(w io.Writer, reports []*report) error {
	_, err := io.WriteString(w, renderMarkdown(reports, true))
	return err
}

func renderMarkdown(reports []*report, withDiffs bool) string {
	var b strings.Builder
	b.WriteString("## fixpolicy: bucket policies and AWS Backup\n\n")
	b.WriteString(summaryLine(reports) + "\n\n")
	if len(reports) == 0 {
		return b.String()
	}
	b.WriteString("| Target | Status | Statements touched |\n| --- | --- | --- |\n")
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", tableCell(targetName(r)), badge(r.Status), tableCell(touched(r)))
	}
	for _, r := range reports {
		b.WriteString("\n")
		if r.Status == statusCompliant && len(r.Changes) == 0 {
			fmt.Fprintf(&b, "%s: ✅ compliant, nothing in the policy blocks AWS Backup.\n", targetName(r))
			if r.OrgNote != "" {
				fmt.Fprintf(&b, "\n%s\n", orgNoteMarkdown(r))
			}
			continue
		}
		var t strings.Builder
		writeTargetMarkdown(&t, r, withDiffs)
		b.WriteString(strings.TrimRight(t.String(), "\n") + "\n")
	}
	return b.String()
}

// summaryLine counts the targets by status, in words.
func summaryLine(reports []*report) string {
	if len(reports) == 0 {
		return "No policy was checked."
	}
	n := map[string]int{}
	for _, r := range reports {
		n[r.Status]++
	}
	var parts []string
	add := func(status, one, many string) {
		switch c := n[status]; {
		case c == 1:
			parts = append(parts, "1 "+one)
		case c > 1:
			parts = append(parts, fmt.Sprintf("%d %s", c, many))
		}
	}
	add(statusNeedsChange, "needs a change", "need a change")
	add(statusPatched, "patched", "patched")
	add(statusRefused, "cannot be patched safely", "cannot be patched safely")
	add(statusError, "could not be checked", "could not be checked")
	add(statusCompliant, "compliant", "compliant")
	what := "policies"
	if len(reports) == 1 {
		what = "policy"
	}
	return fmt.Sprintf("Checked %d %s: %s.", len(reports), what, strings.Join(parts, ", "))
}

// targetName is the target as inline code, with its bucket when the target
// is a file.
func targetName(r *report) string {
	s := mdCode(r.Target)
	if r.Bucket != "" && "s3://"+r.Bucket != r.Target && r.Bucket != r.Target {
		s += " (bucket " + mdCode(r.Bucket) + ")"
	}
	return s
}

// touched lists the statements the changes name.
func touched(r *report) string {
	var parts []string
	seen := map[int]bool{}
	for _, c := range r.Changes {
		if c.Statement < 0 || seen[c.Statement] {
			continue
		}
		seen[c.Statement] = true
		s := fmt.Sprintf("%d", c.Statement+1)
		if c.Sid != "" {
			s += " " + mdCode(c.Sid)
		}
		if c.Line > 0 {
			s += fmt.Sprintf(" (line %d)", c.Line)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

func writeTargetMarkdown(b *strings.Builder, r *report, withDiffs bool) {
	fmt.Fprintf(b, "### %s: %s\n\n", targetName(r), badge(r.Status))
	labels := map[string]rewrite.Change{}
	for _, c := range r.Changes {
		if c.Statement >= 0 {
			labels[stmtLabel(c)] = c
		}
	}
	for _, p := range r.Explanations {
		head, rest := "", p
		for l, c := range labels {
			if strings.HasPrefix(p, l+" ") {
				head = "**" + mdText(capitalize(l)) + "**"
				if c.Line > 0 {
					head += fmt.Sprintf(" (line %d)", c.Line)
				}
				rest = strings.TrimPrefix(p, l+" ")
				break
			}
		}
		if head != "" {
			fmt.Fprintf(b, "%s %s\n\n", head, mdText(rest))
		} else {
			fmt.Fprintf(b, "%s\n\n", mdText(capitalize(p)))
		}
	}
	for _, c := range r.Changes {
		if c.Kind == rewrite.KindStale {
			fmt.Fprintf(b, "> **Stale RoleId:** %s\n\n", mdText(sentence(c.Explanation)))
		}
	}
	if r.OrgNote != "" {
		fmt.Fprintf(b, "%s\n\n", orgNoteMarkdown(r))
	}
	switch r.Status {
	case statusRefused:
		fmt.Fprintf(b, "**Refused:** %s\n\n", mdText(sentence(r.Error)))
	case statusError:
		fmt.Fprintf(b, "**Error:** %s\n\n", mdText(sentence(r.Error)))
	}
	if len(r.AccessChanges) > 0 {
		b.WriteString("**Access changes**")
		if r.Proof != nil && r.Proof.Requests > 0 {
			fmt.Fprintf(b, " (proved over %d request classes)", r.Proof.Requests)
		}
		b.WriteString(":\n\n")
		for _, a := range r.AccessChanges {
			fmt.Fprintf(b, "- %s\n", mdText(a))
		}
		b.WriteString("\n")
	}
	if r.Diff != "" && r.Status != statusRefused {
		if withDiffs {
			fence := codeFence(r.Diff)
			add, del := diffStat(r.Diff)
			fmt.Fprintf(b, "<details>\n<summary>Patch (+%d −%d lines)</summary>\n\n%sdiff\n%s", add, del, fence, r.Diff)
			if !strings.HasSuffix(r.Diff, "\n") {
				b.WriteString("\n")
			}
			fmt.Fprintf(b, "%s\n\n</details>\n\n", fence)
		} else {
			b.WriteString("_Patch left out to keep this summary within GitHub's size limit: run `fixpolicy --dry-run` to see it._\n\n")
		}
	}
	if len(r.Steps) > 0 {
		b.WriteString("Steps:\n\n")
		for _, s := range r.Steps {
			fmt.Fprintf(b, "- %s\n", mdText(s))
		}
		b.WriteString("\n")
	}
}

// orgNoteMarkdown is the note that an organization was assumed.
func orgNoteMarkdown(r *report) string {
	return "> **Note:** " + mdText(r.OrgNote)
}

// diffStat counts added and removed lines of a unified diff.
func diffStat(d string) (add, del int) {
	for _, l := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			add++
		case strings.HasPrefix(l, "-"):
			del++
		}
	}
	return add, del
}

// longestRun is the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// codeFence is a backtick fence longer than any run of backticks in s, so
// that s cannot close it.
func codeFence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

// mdCode renders s as an inline code span, whatever backticks it holds.
func mdCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// tableCell escapes a pipe, which ends a table cell even in a code span.
func tableCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes prose so that GitHub renders it literally.
func mdText(s string) string { return mdEscaper.Replace(s) }

// ---- GitHub Actions ----

// maxAnnotations is the most annotation commands written: GitHub shows 10
// errors and 10 warnings per step. When there are more findings, the last
// one is a notice that counts the rest.
const maxAnnotations = 10

// maxSummary keeps the job summary under GitHub's 1 MiB per step.
const maxSummary = 1<<20 - 4096

var levelRank = map[string]int{"error": 0, "warning": 1, "note": 2}

// writeGitHub writes workflow-command annotations (errors first, at most
// maxAnnotations in all, one per blocking statement) and appends the
// Markdown report to the job summary named by $GITHUB_STEP_SUMMARY when it
// is set.
func writeGitHub(w io.Writer, reports []*report, getenv func(string) string) error {
	fs := mergeStatements(findings(reports))
	sort.SliceStable(fs, func(i, j int) bool { return levelRank[fs[i].level] < levelRank[fs[j].level] })
	shown := fs
	if len(fs) > maxAnnotations {
		shown = fs[:maxAnnotations-1]
	}
	for _, f := range shown {
		if _, err := io.WriteString(w, annotation(f)); err != nil {
			return err
		}
	}
	if rest := len(fs) - len(shown); rest > 0 {
		msg := fmt.Sprintf("%d more findings are not shown as annotations (GitHub shows only the first few per step): "+
			"the job summary lists every one, and -o sarif reports them to code scanning.", rest)
		fmt.Fprintf(w, "::notice title=%s::%s\n", escapeProperty("fixpolicy: findings not annotated"), escapeData(msg))
	}
	for _, r := range reports {
		if r.OrgNote == "" {
			continue
		}
		props := []string{}
		msg := r.OrgNote
		if f := targetFile(r); f != "" {
			props = append(props, "file="+escapeProperty(displayPath(f)))
		} else {
			msg = r.Target + ": " + msg
		}
		props = append(props, "title="+escapeProperty("fixpolicy: assumed organization "+r.OrgAssumed))
		fmt.Fprintf(w, "::notice %s::%s\n", strings.Join(props, ","), escapeData(msg))
	}
	fmt.Fprintf(w, "fixpolicy: %s\n", strings.ToLower(summaryLine(reports)[:1])+summaryLine(reports)[1:])
	if getenv == nil {
		return nil
	}
	if p := getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendSummary(p, stepSummary(reports)); err != nil {
			return fmt.Errorf("cannot append the job summary to $GITHUB_STEP_SUMMARY (%s): %v", p, unwrapPathError(err))
		}
	}
	return nil
}

// mergeStatements folds the exemption and split findings of one statement
// into one annotation, whose message is the statement's explanation.
func mergeStatements(fs []finding) []finding {
	var out []finding
	for _, f := range fs {
		if f.kind != rewrite.KindExempt && f.kind != rewrite.KindSplit {
			out = append(out, f)
			continue
		}
		if n := len(out); n > 0 {
			prev := &out[n-1]
			if prev.r == f.r && prev.stmt == f.stmt && prev.level == f.level &&
				(prev.kind == rewrite.KindExempt || prev.kind == rewrite.KindSplit || prev.kind == "merged") {
				c := rewrite.Change{Statement: f.stmt, Sid: f.sid}
				prev.kind = "merged"
				prev.title = stmtLabel(c) + " blocks AWS Backup and the console's reads"
				if p := paragraphFor(f.r, c); p != "" {
					prev.message = capitalize(p) + "\n\n" + applyHint(f.r, f.file)
				}
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// stepSummary is the Markdown report, without patches if it is too large.
func stepSummary(reports []*report) string {
	md := renderMarkdown(reports, true)
	if len(md) <= maxSummary {
		return md
	}
	md = renderMarkdown(reports, false)
	if len(md) <= maxSummary {
		return md
	}
	cut := strings.LastIndexByte(md[:maxSummary], '\n')
	return md[:cut+1] + "\n_The summary is cut here: it would exceed GitHub's 1 MiB limit. Use -o sarif or -o json for every finding._\n"
}

func appendSummary(path, md string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, md); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// annotation renders one finding as a workflow command.
func annotation(f finding) string {
	cmd := map[string]string{"error": "error", "warning": "warning", "note": "notice"}[f.level]
	var props []string
	if f.file != "" {
		props = append(props, "file="+escapeProperty(displayPath(f.file)))
		if f.reg.startLine >= 1 {
			props = append(props, "line="+strconv.Itoa(f.reg.startLine))
			switch {
			case f.reg.endLine > f.reg.startLine:
				props = append(props, "endLine="+strconv.Itoa(f.reg.endLine))
			case f.reg.startCol >= 1 && f.reg.endCol > f.reg.startCol:
				props = append(props, "col="+strconv.Itoa(f.reg.startCol), "endColumn="+strconv.Itoa(f.reg.endCol))
			}
		}
	}
	title := "fixpolicy: " + f.title
	msg := f.message
	if f.file == "" {
		title = "fixpolicy: " + f.r.Target + ": " + f.title
		msg = f.r.Target + ": " + msg
	}
	props = append(props, "title="+escapeProperty(title))
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(msg) + "\n"
}

// escapeData escapes a workflow command's message (actions/toolkit
// command.ts escapeData).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value
// (actions/toolkit command.ts escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
