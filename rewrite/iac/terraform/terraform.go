// Package terraform finds S3 bucket policies in Terraform sources and
// writes patches back into them in Terraform's own language.
//
// Locate reads a .tf file and returns one iac.Document per bucket policy:
// aws_s3_bucket_policy resources (and the older inline policy of
// aws_s3_bucket) whose policy is jsonencode({...}), a heredoc of JSON,
// data.aws_iam_policy_document.X.json or file()/templatefile() (the
// Document then names the file to follow; LocateTemplate reads it). Values
// the source leaves open (var.x, resource attributes) become symbols.
// Each Document's Editor turns a patch into minimal splices of the file:
// comments, formatting and untouched lines stay byte for byte, and a file
// terraform fmt left alone stays that way.
//
// What the Documents do not capture, and say so (Unsupported) rather than
// guess: policies computed by functions or for expressions, dynamic
// blocks, source_policy_documents and override_policy_documents, a
// Resource that is a bare reference (var.bucket_arn; the policy does not
// parse). A reference whose value is a whole list (values = var.vpce_ids)
// is one symbol. templatefile's literal variables are unknown symbols.
// Locals and variables are not resolved, except an aws_s3_bucket's literal
// name. For aws_iam_policy_document, a list of one element renders as a
// string, as the provider does, so a patch that leaves a one-element JSON
// array there is located again as a string.
//
// The package is pure: it reads no files; the caller does the I/O.
package terraform

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// file is what the Documents of one .tf file share.
type file struct {
	name  string
	src   []byte
	body  *hclsyntax.Body
	st    *symtab
	docs  map[string]*hclsyntax.Block // data "aws_iam_policy_document", by label
	roles map[string]string           // data "aws_iam_role" label → literal name
	// template: a policy template, where no Terraform reference can be
	// written (the role is written as a literal).
	template bool

	fmtOnce sync.Once
	clean   bool // the file is terraform fmt-clean (see fmtClean)
}

// Locate finds the bucket policies of a Terraform file. A file that does
// not parse is an error naming file:line:col.
func Locate(name string, src []byte) ([]iac.Document, error) {
	return LocateInModule(name, src, nil)
}

// ModuleRoles reads the data "aws_iam_role" blocks of a module's files:
// label → the role's name, "" where the name is not a literal. A file that
// does not parse is passed over (it is reported when it is checked).
func ModuleRoles(files map[string][]byte) map[string]string {
	roles := map[string]string{}
	for name, src := range files {
		hf, diags := hclsyntax.ParseConfig(src, name, hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			continue
		}
		for _, b := range hf.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "aws_iam_role" {
				roles[b.Labels[1]] = ""
				if a := b.Body.Attributes["name"]; a != nil {
					if s, ok := literalString(a.Expr); ok {
						roles[b.Labels[1]] = s
					}
				}
			}
		}
	}
	return roles
}

// LocateInModule is Locate for a file of a module whose other files
// declare IAM roles (ModuleRoles): a patch refers to the backup role
// through a data block declared there instead of declaring it again (which
// Terraform would refuse as a duplicate), and a reference to one of them
// counts as the role's RoleId or ARN.
func LocateInModule(name string, src []byte, moduleRoles map[string]string) ([]iac.Document, error) {
	if err := checkUTF8(name, src); err != nil {
		return nil, err
	}
	hf, diags := hclsyntax.ParseConfig(src, name, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, diagError(name, diags)
	}
	f := &file{name: name, src: src, body: hf.Body.(*hclsyntax.Body), st: newSymtab(src),
		docs: map[string]*hclsyntax.Block{}, roles: map[string]string{}}
	f.scan()
	for label, n := range moduleRoles {
		if _, own := f.roles[label]; !own {
			f.roles[label] = n
			if n != "" {
				f.st.roles[label] = n
			}
		}
	}
	var out []iac.Document
	for _, b := range f.body.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 {
			continue
		}
		switch b.Labels[0] {
		case "aws_s3_bucket_policy", "aws_s3_bucket":
		default:
			continue
		}
		pol := b.Body.Attributes["policy"]
		if pol == nil {
			continue
		}
		d := f.locate(b, pol)
		out = append(out, d)
	}
	return out, nil
}

// local follows a reference to a local value (jsonencode(local.policy))
// to its expression in this file's locals blocks.
func (f *file) local(e hclsyntax.Expression) hclsyntax.Expression {
	t, ok := unwrap(e).(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "local" {
		return e
	}
	attr, ok := t.Traversal[1].(hcl.TraverseAttr)
	if !ok {
		return e
	}
	for _, b := range f.body.Blocks {
		if b.Type == "locals" {
			if a := b.Body.Attributes[attr.Name]; a != nil {
				return a.Expr
			}
		}
	}
	return e
}

// checkUTF8 rejects a file that is not UTF-8, as Terraform does, naming
// the first bad byte.
func checkUTF8(name string, src []byte) error {
	if utf8.Valid(src) {
		return nil
	}
	i := 0
	for i < len(src) {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	line := 1 + bytes.Count(src[:i], []byte("\n"))
	return fmt.Errorf("%s:%d:%d: invalid UTF-8", name, line, i-lineStart(src, i)+1)
}

// diagError is the first error of diags on one line: file:line:col: what.
func diagError(name string, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		line, col := 0, 0
		if d.Subject != nil {
			line, col = d.Subject.Start.Line, d.Subject.Start.Column
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		return fmt.Errorf("%s:%d:%d: %s", name, line, col, strings.Join(strings.Fields(msg), " "))
	}
	return fmt.Errorf("%s: %s", name, diags.Error())
}

// scan records what the policies may refer to: policy documents, IAM
// roles by name, and the expressions used as buckets.
func (f *file) scan() {
	for _, b := range f.body.Blocks {
		switch {
		case b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "aws_iam_policy_document":
			f.docs[b.Labels[1]] = b
		case b.Type == "data" && len(b.Labels) == 2 && b.Labels[0] == "aws_iam_role":
			f.roles[b.Labels[1]] = "" // the label is taken, whatever the name
			if a := b.Body.Attributes["name"]; a != nil {
				if s, ok := literalString(a.Expr); ok {
					f.roles[b.Labels[1]] = s
					f.st.roles[b.Labels[1]] = s
				}
			}
		case b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == "aws_s3_bucket":
			if a := b.Body.Attributes["bucket"]; a != nil {
				if s, ok := literalString(a.Expr); ok {
					f.st.bucketNames["aws_s3_bucket."+b.Labels[1]] = s
				} else if b.Body.Attributes["policy"] != nil {
					f.st.bucketExprs[f.st.text(unwrapWrap(a.Expr).Range())] = true
				}
			}
		case b.Type == "resource" && len(b.Labels) == 2 && b.Labels[0] == "aws_s3_bucket_policy":
			if a := b.Body.Attributes["bucket"]; a != nil {
				if _, ok := literalString(a.Expr); !ok {
					f.st.bucketExprs[f.st.text(unwrapWrap(a.Expr).Range())] = true
				}
			}
		}
	}
}

// unwrapWrap removes parentheses and a "${...}" wrapping.
func unwrapWrap(e hclsyntax.Expression) hclsyntax.Expression {
	e = unwrap(e)
	if w, ok := e.(*hclsyntax.TemplateWrapExpr); ok {
		return unwrap(w.Wrapped)
	}
	return e
}

// literalString is the value of a literal string expression.
func literalString(e hclsyntax.Expression) (string, bool) {
	switch x := unwrap(e).(type) {
	case *hclsyntax.TemplateExpr:
		if !x.IsStringLiteral() {
			return "", false
		}
		v, diags := x.Value(nil)
		if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
			return "", false
		}
		return v.AsString(), true
	case *hclsyntax.LiteralValueExpr:
		if x.Val.Type().FriendlyName() == "string" && !x.Val.IsNull() {
			return x.Val.AsString(), true
		}
	}
	return "", false
}

func pos(p hcl.Pos) iac.Pos { return iac.Pos{Offset: p.Byte, Line: p.Line, Col: p.Column} }

// locate makes the Document of one policy attribute.
func (f *file) locate(b *hclsyntax.Block, pol *hclsyntax.Attribute) iac.Document {
	d := iac.Document{File: f.name, Address: b.Labels[0] + "." + b.Labels[1], Pos: pos(pol.Expr.Range().Start)}
	d.Bucket = f.bucket(b)
	e := unwrap(pol.Expr)
	var err error
	switch x := e.(type) {
	case *hclsyntax.FunctionCallExpr:
		switch {
		case x.Name == "jsonencode" && len(x.Args) == 1:
			err = f.locateJSONEncode(&d, f.local(x.Args[0]))
		case (x.Name == "file" || x.Name == "templatefile") && len(x.Args) >= 1:
			err = f.locateFollow(&d, x)
		default:
			err = unsupported(x.Range(), "the policy is computed by %s()", x.Name)
		}
	case *hclsyntax.TemplateExpr:
		if strings.HasPrefix(string(f.src[x.SrcRange.Start.Byte:]), "<<") {
			err = f.locateHeredoc(&d, x)
		} else {
			err = unsupported(x.Range(), "the policy is a quoted string")
		}
	case *hclsyntax.ScopeTraversalExpr:
		err = f.locateDocRef(&d, x)
	default:
		err = unsupported(e.Range(), "the policy is %s, which the file does not define", f.st.text(e.Range()))
	}
	if err != nil {
		d.Unsupported = err.Error()
		d.Policy, d.Editor, d.Statements = nil, nil, nil
	} else if d.Follow == "" {
		f.check(&d)
	}
	d.Symbols = f.st.used(string(d.Policy), d.Bucket)
	if d.FollowVars != nil {
		var all []string
		for _, s := range d.FollowVars {
			all = append(all, s.Placeholder)
		}
		d.Symbols = f.st.used(append(all, d.Bucket)...)
	}
	return d
}

// check marks a Document whose JSON is no policy as unsupported.
func (f *file) check(d *iac.Document) {
	typed, _ := iac.TypedStandIns(d.Policy) // as the caller analyses it
	if _, err := policy.Parse(typed); err != nil {
		d.Unsupported = "the policy, its references taken as unknown values, does not parse: " + strings.Join(strings.Fields(err.Error()), " ")
		d.Editor = nil
	}
}

// bucket is the bucket a policy resource is attached to: a literal name
// or a placeholder.
func (f *file) bucket(b *hclsyntax.Block) string {
	if b.Labels[0] == "aws_s3_bucket" {
		if a := b.Body.Attributes["bucket"]; a != nil {
			if s, ok := literalString(a.Expr); ok {
				return s
			}
		}
		// The bucket itself: the same symbol as aws_s3_bucket.NAME.id.
		return f.st.bucketResource("aws_s3_bucket." + b.Labels[1])
	}
	a := b.Body.Attributes["bucket"]
	if a == nil {
		return ""
	}
	if s, ok := literalString(a.Expr); ok {
		return s
	}
	return f.st.symbol(unwrapWrap(a.Expr))
}

// render is the policy JSON of a tree.
func render(v *jsonast.Value) []byte { return append(jsonast.Indent(v, "", "  "), '\n') }
