// Package iac is what the infrastructure-as-code locators share: a bucket
// policy found inside a Terraform or CloudFormation source ([Document]), the
// values the source does not fix ([Symbol]), the edit a patch makes to the
// policy as a list of operations on its JSON tree ([Diff], [Op]), and the
// text splices an editor turns them into ([Splice], [ApplySplices]).
//
// The flow, for any source language:
//
//  1. A locator (package terraform, cfn, tfplan) parses a file and returns
//     one Document per bucket policy: the policy rendered as JSON, with
//     every value the source leaves open (var.vpce_id, !Ref VpceId) replaced
//     by a placeholder literal no real value equals.
//  2. The caller runs the same analysis, patch and proof as for a JSON
//     policy on Document.Policy.
//  3. Diff compares the policy before and after the patch and lists the
//     operations (add a member, rename Action to NotAction, insert a
//     statement, replace a value) with paths into the tree before.
//  4. The Document's Editor turns the operations into splices of the source
//     file in its own language, writing placeholders back as the source's
//     expressions; untouched text (comments, formatting) stays byte for byte.
//  5. The caller applies the splices, locates the policy in the result again
//     and checks that it is exactly the patched policy.
//
// The package is pure: no I/O, like the rest of rewrite.
package iac

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Formats of a Document: where in the source the policy was found.
const (
	FormatJSON                    = "json"                              // a JSON policy file
	FormatTemplate                = "template"                          // a JSON policy template (.json.tpl) with ${...} interpolations
	FormatTerraformJSONEncode     = "terraform/jsonencode"              // policy = jsonencode({...})
	FormatTerraformHeredoc        = "terraform/heredoc"                 // policy = <<EOF ... EOF
	FormatTerraformFile           = "terraform/file"                    // policy = file("...") or templatefile("...", {...}): see Document.Follow
	FormatTerraformPolicyDocument = "terraform/aws_iam_policy_document" // data "aws_iam_policy_document"
	FormatTerraformPlan           = "terraform/plan"                    // terraform show -json: read only
	FormatCloudFormationYAML      = "cloudformation/yaml"
	FormatCloudFormationJSON      = "cloudformation/json"
)

// Symbol roles: what a symbol is known to stand for.
const (
	RoleUnknown   = ""          // any value: the analysis considers every one
	RoleAccount   = "account"   // the deploying account (data.aws_caller_identity, ${AWS::AccountId})
	RoleBucket    = "bucket"    // the bucket the policy is attached to
	RolePartition = "partition" // ${AWS::Partition}, data.aws_partition
	RoleRegion    = "region"    // ${AWS::Region}, data.aws_region
	// RoleRoleID and RoleRoleARN are a role's RoleId and ARN
	// (data.aws_iam_role.backup.unique_id, .arn), the role named by
	// Symbol.RoleName: when that is the backup role, the caller substitutes
	// its RoleId or ARN.
	RoleRoleID  = "role-id"
	RoleRoleARN = "role-arn"
)

// A Symbol is a value the source does not fix. In Document.Policy it is
// written as Placeholder, a literal that equals no real value, so the
// analysis treats it as an unknown distinct from every literal.
type Symbol struct {
	Placeholder string // the stand-in in Document.Policy; see NewPlaceholder
	// Expr is the source's expression for the value on its own
	// ("var.vpce_id", "aws_vpc_endpoint.s3.id", "!Ref VpceId"), Interp the
	// way to write it inside a string ("${var.vpce_id}", "${VpceId}").
	Expr, Interp string
	Role         string // one of the Role constants
	RoleName     string `json:",omitempty"` // RoleRoleID, RoleRoleARN: the role's name, as the source fixes it
}

// Pos is a position in a source file: byte offset and 1-based line and
// column (in bytes).
type Pos struct {
	Offset, Line, Col int
}

// A Splice replaces Src[Start:End] with Text.
type Splice struct {
	Start, End int
	Text       string
}

// EditOptions tell an editor how to refer to the values the patch
// introduces. The literals are in the patched policy as the analysis used
// them; an editor may write them the way its language does best.
type EditOptions struct {
	RoleName  string // the backup role's name (AWSBackupDefaultServiceRole)
	RoleID    string // its RoleId (AROA...), as in Patch A's aws:userid value
	RoleARN   string // its ARN, as in Patch A's aws:PrincipalArn value
	AccountID string // the bucket's account, as in Patch B's aws:PrincipalAccount
	// LiteralRoleID: the user gave --role-id, so write the RoleId as a
	// literal rather than as a reference to the role (Terraform's
	// data "aws_iam_role").
	LiteralRoleID bool
}

// An Editor writes a patch back into the source a Document came from.
type Editor interface {
	// Edit returns the splices of the source file that change the policy
	// by ops (from Diff, paths into the policy before the patch). Splices
	// of several Documents of one file must not overlap, except identical
	// splices (one added data block), which ApplySplices keeps once.
	Edit(ops []Op, opt EditOptions) ([]Splice, error)
}

// A Document is one bucket policy found in a source file.
type Document struct {
	File    string // the path as the caller gave it
	Address string // "aws_s3_bucket_policy.data", "DataBucketPolicy"; "" for a plain JSON file
	Format  string // one of the Format constants
	// Policy is the policy as JSON, symbols written as their placeholders.
	// Empty when Follow is set.
	Policy []byte
	Pos    Pos // where the policy expression starts in File
	// Statements are the source positions of the policy's statements, in
	// the order of its Statement array (empty: use Pos).
	Statements []Pos
	Symbols    []Symbol
	// Bucket is the bucket the policy is attached to: a name, a symbol's
	// placeholder (a bucket the source names by reference), or "".
	Bucket string
	// Follow, for FormatTerraformFile, is the file the policy lives in,
	// relative to File's directory, as written; FollowVars are
	// templatefile's variables (name → symbol). The caller reads that file
	// and locates the policy there.
	Follow     string
	FollowVars map[string]Symbol
	// Editor patches the source; nil when the Document cannot be written
	// (a Terraform plan), with the reason in ReadOnly.
	Editor   Editor
	ReadOnly string
	// Unsupported, when set, says why the policy could not be analysed
	// (source_policy_documents, a dynamic block): the caller reports it
	// as an error for this Document rather than skipping it.
	Unsupported string
}

// Target is how reports name the Document: "main.tf:aws_s3_bucket_policy.data".
func (d *Document) Target() string {
	if d.Address == "" {
		return d.File
	}
	return d.File + ":" + d.Address
}

// StatementPos returns the source position of statement i.
func (d *Document) StatementPos(i int) Pos {
	if i >= 0 && i < len(d.Statements) {
		return d.Statements[i]
	}
	return d.Pos
}

// PlaceholderPrefix starts every placeholder. Placeholders are valid bucket
// names and contain no wildcard and no policy variable, so the evaluator
// treats them as plain literals.
const PlaceholderPrefix = "fixpolicy-symbol-"

// NewPlaceholder returns the n-th placeholder of a file: "fixpolicy-symbol-7".
func NewPlaceholder(n int) string { return PlaceholderPrefix + strconv.Itoa(n) }

// Part is a piece of a string value: literal text, or a symbol.
type Part struct {
	Text   string  // the literal text, when Symbol is nil
	Symbol *Symbol // the symbol whose placeholder stood here
}

// SplitPlaceholders cuts s at the placeholders of syms, so an editor can
// write a string as an interpolation ("arn:aws:s3:::${var.bucket}/*").
// A string without placeholders is one literal part.
func SplitPlaceholders(s string, syms []Symbol) []Part {
	var parts []Part
	for s != "" {
		i := strings.Index(s, PlaceholderPrefix)
		if i < 0 {
			parts = append(parts, Part{Text: s})
			break
		}
		var hit *Symbol
		for k := range syms {
			p := syms[k].Placeholder
			if strings.HasPrefix(s[i:], p) && (hit == nil || len(p) > len(hit.Placeholder)) {
				// the longest match: fixpolicy-symbol-12 over -1
				if !digitAt(s, i+len(p)) {
					hit = &syms[k]
				}
			}
		}
		if hit == nil {
			parts = append(parts, Part{Text: s[:i+len(PlaceholderPrefix)]})
			s = s[i+len(PlaceholderPrefix):]
			continue
		}
		if i > 0 {
			parts = append(parts, Part{Text: s[:i]})
		}
		parts = append(parts, Part{Symbol: hit})
		s = s[i+len(hit.Placeholder):]
	}
	return mergeText(parts)
}

func digitAt(s string, i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }

func mergeText(parts []Part) []Part {
	var out []Part
	for _, p := range parts {
		if n := len(out); n > 0 && p.Symbol == nil && out[n-1].Symbol == nil {
			out[n-1].Text += p.Text
			continue
		}
		out = append(out, p)
	}
	return out
}

// ApplySplices applies splices to src. They may come in any order; identical
// splices count once; overlapping different ones are an error (two edits of
// the same text). Insertions at the same offset keep their given order.
func ApplySplices(src []byte, sp []Splice) ([]byte, error) {
	sp = append([]Splice(nil), sp...)
	sort.SliceStable(sp, func(i, j int) bool {
		if sp[i].Start != sp[j].Start {
			return sp[i].Start < sp[j].Start
		}
		return sp[i].End < sp[j].End
	})
	var out []byte
	at := 0
	for i, s := range sp {
		if s.Start < 0 || s.End < s.Start || s.End > len(src) {
			return nil, fmt.Errorf("splice %d:%d is outside the file (%d bytes)", s.Start, s.End, len(src))
		}
		if i > 0 && s == sp[i-1] {
			continue
		}
		if s.Start < at {
			return nil, fmt.Errorf("two edits overlap at byte %d", s.Start)
		}
		out = append(out, src[at:s.Start]...)
		out = append(out, s.Text...)
		at = s.End
	}
	return append(out, src[at:]...), nil
}
