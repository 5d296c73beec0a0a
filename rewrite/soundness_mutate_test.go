package rewrite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// ---------------------------------------------------------------------------
// Policies as JSON maps, and the mutation operators

type jmap = map[string]any

func decodeJSON(src []byte) (jmap, error) {
	d := json.NewDecoder(bytes.NewReader(src))
	d.UseNumber()
	var m jmap
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func encodeJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func cloneJSON(v any) any {
	switch x := v.(type) {
	case jmap:
		m := make(jmap, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneJSON(e)
		}
		return l
	}
	return v
}

// statements returns the policy's statements as a list (a single statement
// object becomes a list of one, which means the same).
func statements(p jmap) []any {
	switch s := p["Statement"].(type) {
	case []any:
		return s
	case jmap:
		l := []any{s}
		p["Statement"] = l
		return l
	}
	return nil
}

func strOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// strs reads a string-or-list element.
func strs(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, strOf(e))
		}
		return out
	}
	return []string{strOf(v)}
}

func setStrs(m jmap, k string, vals []string) {
	if len(vals) == 1 {
		m[k] = vals[0]
		return
	}
	l := make([]any, len(vals))
	for i, v := range vals {
		l[i] = v
	}
	m[k] = l
}

// elemKey returns which of two spellings of an element a statement has.
func elemKey(st jmap, a, b string) string {
	if _, ok := st[a]; ok {
		return a
	}
	if _, ok := st[b]; ok {
		return b
	}
	return ""
}

func pickStmt(r *rand.Rand, p jmap) jmap {
	ss := statements(p)
	if len(ss) == 0 {
		return nil
	}
	st, _ := ss[r.IntN(len(ss))].(jmap)
	return st
}

// condEntry is one (operator, key) of a statement's Condition block.
type condEntry struct {
	op, key string
	block   jmap // Condition[op]
}

func condEntries(st jmap) []condEntry {
	c, _ := st["Condition"].(jmap)
	var out []condEntry
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		blk, _ := c[op].(jmap)
		keys := make([]string, 0, len(blk))
		for k := range blk {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, condEntry{op, k, blk})
		}
	}
	return out
}

// pickCond picks a condition of some statement.
func pickCond(r *rand.Rand, p jmap) (jmap, condEntry, bool) {
	type at struct {
		st jmap
		ce condEntry
	}
	var all []at
	for _, s := range statements(p) {
		st, _ := s.(jmap)
		for _, ce := range condEntries(st) {
			all = append(all, at{st, ce})
		}
	}
	if len(all) == 0 {
		return nil, condEntry{}, false
	}
	x := all[r.IntN(len(all))]
	return x.st, x.ce, true
}

// moveCond moves a condition to another operator (merging into an existing
// block for that operator).
func moveCond(st jmap, ce condEntry, newOp string) {
	c := st["Condition"].(jmap)
	v := ce.block[ce.key]
	delete(ce.block, ce.key)
	if len(ce.block) == 0 {
		delete(c, ce.op)
	}
	blk, _ := c[newOp].(jmap)
	if blk == nil {
		blk = jmap{}
		c[newOp] = blk
	}
	blk[ce.key] = v
}

func removeCond(st jmap, ce condEntry) {
	c := st["Condition"].(jmap)
	delete(ce.block, ce.key)
	if len(ce.block) == 0 {
		delete(c, ce.op)
	}
	if len(c) == 0 {
		delete(st, "Condition")
	}
}

// splitOp splits "ForAnyValue:StringLikeIfExists" into its parts.
func splitOp(op string) (set, base string, ifExists bool) {
	if i := strings.IndexByte(op, ':'); i >= 0 {
		set, op = op[:i+1], op[i+1:]
	}
	if strings.HasSuffix(op, "IfExists") && op != "IfExists" {
		return set, strings.TrimSuffix(op, "IfExists"), true
	}
	return set, op, false
}

func joinOp(set, base string, ifExists bool) string {
	if ifExists {
		base += "IfExists"
	}
	return set + base
}

// opNeighbours are each base operator's neighbours.
var opNeighbours = map[string][]string{
	"StringEquals":              {"StringNotEquals", "StringLike", "StringEqualsIgnoreCase"},
	"StringNotEquals":           {"StringEquals", "StringNotLike", "StringNotEqualsIgnoreCase"},
	"StringLike":                {"StringEquals", "StringNotLike"},
	"StringNotLike":             {"StringNotEquals", "StringLike"},
	"StringEqualsIgnoreCase":    {"StringEquals", "StringNotEqualsIgnoreCase"},
	"StringNotEqualsIgnoreCase": {"StringNotEquals", "StringEqualsIgnoreCase"},
	"IpAddress":                 {"NotIpAddress"},
	"NotIpAddress":              {"IpAddress"},
	"NumericEquals":             {"NumericNotEquals", "NumericLessThanEquals", "NumericGreaterThanEquals"},
	"NumericNotEquals":          {"NumericEquals"},
	"NumericLessThan":           {"NumericLessThanEquals", "NumericGreaterThan"},
	"NumericLessThanEquals":     {"NumericLessThan", "NumericGreaterThanEquals"},
	"NumericGreaterThan":        {"NumericGreaterThanEquals", "NumericLessThan"},
	"NumericGreaterThanEquals":  {"NumericGreaterThan", "NumericLessThanEquals"},
	"DateEquals":                {"DateNotEquals", "DateLessThanEquals"},
	"DateNotEquals":             {"DateEquals"},
	"DateLessThan":              {"DateLessThanEquals", "DateGreaterThan"},
	"DateLessThanEquals":        {"DateLessThan", "DateGreaterThanEquals"},
	"DateGreaterThan":           {"DateGreaterThanEquals", "DateLessThan"},
	"DateGreaterThanEquals":     {"DateGreaterThan", "DateLessThanEquals"},
	"ArnEquals":                 {"ArnLike", "ArnNotEquals", "StringEquals"},
	"ArnLike":                   {"ArnEquals", "ArnNotLike", "StringLike"},
	"ArnNotEquals":              {"ArnEquals", "ArnNotLike"},
	"ArnNotLike":                {"ArnLike", "ArnNotEquals", "StringNotLike"},
	"Bool":                      {"StringEquals", "Null"},
	"Null":                      {"Bool"},
}

// A mutation edits a policy in place; false when it does not apply.
type soundMutation struct {
	name string
	fn   func(r *rand.Rand, p jmap) bool
}

var principalPool = []string{
	soundOwner, "arn:aws:iam::" + soundOwner + ":root", soundOther, "arn:aws:iam::" + soundOther + ":root",
	"arn:aws:iam::" + soundOwner + ":role/app-role", "arn:aws:iam::" + soundOwner + ":user/alice",
	"arn:aws:sts::" + soundOwner + ":assumed-role/app-role/sess", "arn:aws:iam::" + soundOther + ":role/partner",
	"AROAEXAMPLEROLEID0001", "AIDAALICE0000000001", "*",
}

// bucketOf returns a bucket the policy names ("syn-bucket" if none).
func bucketOf(p jmap) string {
	for _, s := range statements(p) {
		st, _ := s.(jmap)
		for _, r := range strs(st[elemKey(st, "Resource", "NotResource")]) {
			if b, _ := splitS3(r); b != "" && !strings.ContainsAny(b, "*?$") {
				return b
			}
		}
	}
	return "syn-bucket"
}

// mutateResources applies fn to one entry of a statement's Resource or
// NotResource.
func mutateResources(r *rand.Rand, p jmap, fn func(list []string, i int) ([]string, bool)) bool {
	return mutateList(r, p, fn, "Resource", "NotResource")
}

// mutateActions applies fn to one entry of a statement's Action or
// NotAction.
func mutateActions(r *rand.Rand, p jmap, fn func(list []string, i int) ([]string, bool)) bool {
	return mutateList(r, p, fn, "Action", "NotAction")
}

func mutateList(r *rand.Rand, p jmap, fn func(list []string, i int) ([]string, bool), key, notKey string) bool {
	st := pickStmt(r, p)
	k := elemKey(st, key, notKey)
	if k == "" {
		return false
	}
	list := strs(st[k])
	if len(list) == 0 {
		return false
	}
	out, ok := fn(list, r.IntN(len(list)))
	if !ok || len(out) == 0 {
		return false
	}
	setStrs(st, k, out)
	return true
}

func replaced(list []string, i int, v string) []string {
	out := append([]string{}, list...)
	out[i] = v
	return out
}

func removed(list []string, i int) []string {
	return append(append([]string{}, list[:i]...), list[i+1:]...)
}

var varRefs = []string{"${aws:username}", "${aws:userid}"}
