package cfn

import (
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// copies are the policy's values as the template writes them, so that a
// value the patch copies (the original statement's conditions, principal
// and resources, in Patch B's new statement) is written as the original
// was: !GetAtt Bucket.Arn stays that, {AWS: "*"} stays on one line.
type copies struct {
	account, partition string // placeholders, and the values they stand for
	accountID, part    string
	yaml               map[string]string         // key → one-line source text
	json               map[string]*jsonast.Value // key → source value
	keys               map[string]string         // mapping key → its source text
}

// key identifies a value: its compact JSON with the account and the
// partition written as literals, so that it matches whether the caller put
// them back as placeholders or not.
func (c *copies) key(v *jsonast.Value) string {
	s := string(jsonast.Compact(v))
	if c.account != "" && c.accountID != "" {
		s = replacePlaceholder(s, c.account, c.accountID)
	}
	if c.partition != "" {
		s = replacePlaceholder(s, c.partition, c.part)
	}
	return s
}

// replacePlaceholder replaces placeholder p in s, not where p is the start
// of a longer one (fixpolicy-symbol-1 in fixpolicy-symbol-12).
func replacePlaceholder(s, p, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, p)
		if i < 0 {
			return b.String() + s
		}
		if digitAt(s, i+len(p)) {
			b.WriteString(s[:i+len(p)])
		} else {
			b.WriteString(s[:i] + with)
		}
		s = s[i+len(p):]
	}
}

func digitAt(s string, i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }

// findCopies records every value of the policy, first occurrence first.
func (e *editor) findCopies(opt iac.EditOptions) *copies {
	c := &copies{yaml: map[string]string{}, json: map[string]*jsonast.Value{}, keys: map[string]string{}, accountID: opt.AccountID, part: "aws"}
	if f := strings.Split(opt.RoleARN, ":"); len(f) > 2 && f[0] == "arn" && f[1] != "" {
		c.part = f[1]
	}
	for _, s := range e.syms {
		switch s.Role {
		case iac.RoleAccount:
			c.account = s.Placeholder
		case iac.RolePartition:
			c.partition = s.Placeholder
		}
	}
	ev := &evaluator{t: e.t, used: map[*iac.Symbol]bool{}}
	src := e.t.src
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if depth > maxDepth {
			return
		}
		if v, err := ev.eval(n); err == nil {
			k := c.key(v)
			if _, ok := c.json[k]; !ok && n.jv != nil {
				c.json[k] = n.jv
			}
			text := string(src[n.start:n.end])
			if _, ok := c.yaml[k]; !ok && text != "" && !strings.ContainsAny(text, "\n#") {
				c.yaml[k] = text
			}
		}
		if isIntrinsic(n) {
			return
		}
		for i, k := range n.keys {
			if k.end > k.start {
				if _, ok := c.keys[k.str]; !ok && !strings.Contains(string(src[k.start:k.end]), "\n") {
					c.keys[k.str] = string(src[k.start:k.end])
				}
			}
			walk(n.vals[i], depth+1)
		}
		for _, x := range n.elems {
			walk(x, depth+1)
		}
	}
	walk(e.policy, 0)
	return c
}

// canon writes v for comparison: symbols as their expressions, the account
// and the partition as the values they stand for (when known).
func (c *copies) canon(v *jsonast.Value, syms []iac.Symbol) string {
	var b strings.Builder
	for _, p := range iac.SplitPlaceholders(string(jsonast.Compact(v)), syms) {
		switch {
		case p.Symbol == nil:
			b.WriteString(p.Text)
		case p.Symbol.Role == iac.RoleAccount && c.accountID != "":
			b.WriteString(c.accountID)
		case p.Symbol.Role == iac.RolePartition:
			b.WriteString(c.part)
		default:
			b.WriteString("\x00" + p.Symbol.Expr + "\x00")
		}
	}
	return b.String()
}
