package terraform

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// unsupportedError says why an expression cannot be rendered as JSON.
type unsupportedError struct {
	rng hcl.Range
	msg string
}

func (e *unsupportedError) Error() string {
	return fmt.Sprintf("%s at line %d, column %d", e.msg, e.rng.Start.Line, e.rng.Start.Column)
}

func unsupported(r hcl.Range, format string, a ...any) error {
	return &unsupportedError{rng: r, msg: fmt.Sprintf(format, a...)}
}

// unwrap removes parentheses around e.
func unwrap(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expression
	}
}

// toJSON renders the value of an HCL expression as JSON (what jsonencode
// would produce), every value the source leaves open as a placeholder.
func (t *symtab) toJSON(e hclsyntax.Expression) (*jsonast.Value, error) {
	switch x := unwrap(e).(type) {
	case *hclsyntax.ObjectConsExpr:
		obj := jsonast.NewObject()
		for _, it := range x.Items {
			k, ok := objectKey(it.KeyExpr)
			if !ok {
				return nil, unsupported(it.KeyExpr.Range(), "a computed object key")
			}
			v, err := t.toJSON(it.ValueExpr)
			if err != nil {
				return nil, err
			}
			obj.Members = append(obj.Members, jsonast.NewMember(k, v))
		}
		return obj, nil
	case *hclsyntax.TupleConsExpr:
		arr := jsonast.NewArray()
		for _, el := range x.Exprs {
			v, err := t.toJSON(el)
			if err != nil {
				return nil, err
			}
			arr.Elems = append(arr.Elems, v)
		}
		return arr, nil
	case *hclsyntax.LiteralValueExpr:
		return literal(x)
	case *hclsyntax.TemplateExpr:
		s, err := t.templateString(x)
		if err != nil {
			return nil, err
		}
		return jsonast.NewString(s), nil
	case *hclsyntax.TemplateWrapExpr:
		return jsonast.NewString(t.symbol(x.Wrapped)), nil
	case *hclsyntax.ForExpr, *hclsyntax.SplatExpr:
		return nil, unsupported(x.Range(), "a computed list or object (%s)", t.text(x.Range()))
	default:
		return jsonast.NewString(t.symbol(x)), nil
	}
}

// objectKey is an object item's key: a bare identifier or a literal string.
func objectKey(k hclsyntax.Expression) (string, bool) {
	if ke, ok := k.(*hclsyntax.ObjectConsKeyExpr); ok {
		if !ke.ForceNonLiteral {
			if name := hcl.ExprAsKeyword(ke.Wrapped); name != "" {
				return name, true
			}
		}
		k = ke.Wrapped
	}
	if te, ok := k.(*hclsyntax.TemplateExpr); ok && te.IsStringLiteral() {
		v, diags := te.Value(nil)
		if !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			return v.AsString(), true
		}
	}
	return "", false
}

func literal(x *hclsyntax.LiteralValueExpr) (*jsonast.Value, error) {
	v := x.Val
	switch {
	case v.IsNull():
		return jsonast.NewNull(), nil
	case v.Type() == cty.String:
		return jsonast.NewString(v.AsString()), nil
	case v.Type() == cty.Bool:
		return jsonast.NewBool(v.True()), nil
	case v.Type() == cty.Number:
		return jsonast.NewNumber(v.AsBigFloat().Text('g', -1)), nil
	}
	return nil, unsupported(x.Range(), "a literal of type %s", v.Type().FriendlyName())
}

// templateString renders a quoted string or heredoc: literal parts as they
// are, interpolations as placeholders.
func (t *symtab) templateString(x *hclsyntax.TemplateExpr) (string, error) {
	var b strings.Builder
	for _, p := range x.Parts {
		switch p := p.(type) {
		case *hclsyntax.LiteralValueExpr:
			if p.Val.Type() != cty.String {
				return "", unsupported(p.Range(), "a template part of type %s", p.Val.Type().FriendlyName())
			}
			b.WriteString(p.Val.AsString())
		case *hclsyntax.ConditionalExpr, *hclsyntax.ForExpr:
			return "", unsupported(p.Range(), "a template directive")
		default:
			b.WriteString(t.symbol(p))
		}
	}
	return b.String(), nil
}
