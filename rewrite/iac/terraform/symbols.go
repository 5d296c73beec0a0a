package terraform

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// s3ARNPrefix is how an aws_s3_bucket's arn attribute is rendered: the
// bucket's placeholder behind it, so "${aws_s3_bucket.b.arn}/*" still names
// the bucket of bucket = aws_s3_bucket.b.id.
const s3ARNPrefix = "arn:aws:s3:::"

// symtab hands out the placeholders of one file: one per distinct
// expression, numbered in order of first use.
type symtab struct {
	src  []byte
	n    int
	syms map[string]*iac.Symbol // by expression text (or bucket resource)
	list []*iac.Symbol          // in placeholder order
	// bucketRes maps a bucket symbol's placeholder to the expression of
	// its ARN ("aws_s3_bucket.b.arn"), which is s3ARNPrefix + placeholder.
	bucketRes map[string]string
	// bucketExprs are expressions the file's policies use as their bucket.
	bucketExprs map[string]bool
	// bucketNames are the literal names of the file's aws_s3_bucket
	// resources, by address without index ("aws_s3_bucket.b"): references
	// to them resolve to the name.
	bucketNames map[string]string
	// listSyms are placeholders that stand for a whole list (values =
	// var.vpce_ids), written back bare rather than inside a list.
	listSyms map[string]bool
	// roles are the names of the file's data "aws_iam_role" blocks, by
	// label, when literal.
	roles map[string]string
}

func newSymtab(src []byte) *symtab {
	return &symtab{src: src, syms: map[string]*iac.Symbol{}, bucketRes: map[string]string{},
		bucketExprs: map[string]bool{}, roles: map[string]string{}, bucketNames: map[string]string{}, listSyms: map[string]bool{}}
}

// text is the source text of a range, with runs of blanks squeezed.
func (t *symtab) text(r hcl.Range) string {
	if r.Start.Byte < 0 || r.End.Byte > len(t.src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return strings.Join(strings.Fields(string(t.src[r.Start.Byte:r.End.Byte])), " ")
}

var bucketAttr = regexp.MustCompile(`^(aws_s3_bucket\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)\.(id|bucket|arn)$`)

// symbol returns the placeholder text that stands for e: the symbol's
// placeholder, or for an aws_s3_bucket's arn the bucket's ARN built on
// the bucket's placeholder.
func (t *symtab) symbol(e hclsyntax.Expression) string {
	expr := t.text(e.Range())
	if m := bucketAttr.FindStringSubmatch(expr); m != nil {
		if name, ok := t.bucketNames[strings.SplitN(m[1], "[", 2)[0]]; ok {
			if m[2] == "arn" {
				return s3ARNPrefix + name
			}
			return name
		}
		ph := t.bucketResource(m[1])
		if m[2] == "arn" {
			return s3ARNPrefix + ph
		}
		return ph
	}
	if s := t.syms[expr]; s != nil {
		return s.Placeholder
	}
	sym := t.add(expr, expr, "")
	sym.Role, sym.RoleName = t.role(expr)
	return sym.Placeholder
}

// bucketResource is the placeholder of the bucket an aws_s3_bucket
// resource (address "aws_s3_bucket.b") creates.
func (t *symtab) bucketResource(addr string) string {
	key := "bucket:" + addr
	if s := t.syms[key]; s != nil {
		return s.Placeholder
	}
	s := t.add(key, addr+".id", iac.RoleBucket)
	t.bucketRes[s.Placeholder] = addr + ".arn"
	return s.Placeholder
}

func (t *symtab) add(key, expr, role string) *iac.Symbol {
	t.n++
	s := &iac.Symbol{Placeholder: iac.NewPlaceholder(t.n), Expr: expr, Interp: "${" + expr + "}", Role: role}
	t.syms[key] = s
	t.list = append(t.list, s)
	return s
}

var (
	reAccount   = regexp.MustCompile(`^data\.aws_caller_identity\.[A-Za-z0-9_-]+(\[[^\]]*\])?\.account_id$`)
	rePartition = regexp.MustCompile(`^data\.aws_partition\.[A-Za-z0-9_-]+(\[[^\]]*\])?\.(partition|id)$`)
	reRegion    = regexp.MustCompile(`^data\.aws_region\.[A-Za-z0-9_-]+(\[[^\]]*\])?\.(name|region|id)$`)
	reRole      = regexp.MustCompile(`^data\.aws_iam_role\.([A-Za-z0-9_-]+)\.(unique_id|arn)$`)
)

// role says what an expression is known to stand for, and for a role's
// RoleId or ARN, the role's name.
func (t *symtab) role(expr string) (role, roleName string) {
	switch {
	case t.bucketExprs[expr]:
		return iac.RoleBucket, ""
	case reAccount.MatchString(expr):
		return iac.RoleAccount, ""
	case rePartition.MatchString(expr):
		return iac.RolePartition, ""
	case reRegion.MatchString(expr):
		return iac.RoleRegion, ""
	}
	if m := reRole.FindStringSubmatch(expr); m != nil {
		if name, ok := t.roles[m[1]]; ok {
			if m[2] == "unique_id" {
				return iac.RoleRoleID, name
			}
			return iac.RoleRoleARN, name
		}
	}
	return iac.RoleUnknown, ""
}

// used returns the symbols whose placeholders occur in policy (and the
// bucket's), in placeholder order.
func (t *symtab) used(texts ...string) []iac.Symbol {
	all := strings.Join(texts, "\x00")
	var out []iac.Symbol
	for _, s := range t.list {
		if containsPlaceholder(all, s.Placeholder) {
			out = append(out, *s)
		}
	}
	return out
}

// containsPlaceholder reports whether p occurs in s not followed by a digit
// (fixpolicy-symbol-1 is not in fixpolicy-symbol-12).
func containsPlaceholder(s, p string) bool {
	for {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		if j := i + len(p); j >= len(s) || s[j] < '0' || s[j] > '9' {
			return true
		}
		s = s[i+len(p):]
	}
}
