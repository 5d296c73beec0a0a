package jsonast

import "strings"

// Kind is the type of a JSON value.
type Kind uint8

// The JSON value kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "bool", "number", "string", "array", "object"}

// String returns "null", "bool", "number", "string", "array" or "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Value is a JSON value that remembers key order, literal types, its source
// text and layout.
type Value struct {
	Kind    Kind
	Str     string    // decoded string (Kind==String)
	Num     string    // number literal exactly as written (Kind==Number); must be a valid JSON number
	Bool    bool      // Kind==Bool
	Elems   []*Value  // Kind==Array, in order
	Members []*Member // Kind==Object, in source order
	Offset  int       // byte offset of the value's first byte in the source; -1 for values created by New*

	// node is the immutable parse-time snapshot of this value (source
	// text, layout, canonical content). Shared by clones; nil for values
	// created by New*.
	node *node
}

// Member is one key/value pair of an object.
type Member struct {
	Key       string // decoded key
	Value     *Value
	KeyOffset int // byte offset of the key's opening quote; -1 for new members

	// mn is the parse-time layout of the member (whitespace before the
	// key, raw key token, colon text, ...). Shared by clones; nil for new
	// members.
	mn *mnode
}

// doc is what all nodes of one parsed document share.
type doc struct {
	src   string // the whole source, converted once
	style Style
}

// node is the parse-time snapshot of a value. It is never mutated after
// Parse returns.
type node struct {
	doc    *doc
	kind   Kind
	b      bool
	multi  bool   // the value's source text spans several lines
	root   bool   // the document's top-level value
	str    string // String: decoded; Number: literal
	start  int    // raw text is doc.src[start:end]
	end    int
	indent string // indentation of the source line the value starts on

	// position in the parent container
	parent *node
	idx    int
	lead   string // array elements: whitespace after '[' or ',' before the value
	post   string // array elements: whitespace after the value before ','

	// containers
	children []*node  // elements, or member values
	members  []*mnode // objects: member layout and keys
	closeWS  string   // whitespace before the closing bracket
}

func (n *node) raw() string { return n.doc.src[n.start:n.end] }

// mnode is the parse-time layout of an object member.
type mnode struct {
	parent *node
	idx    int
	key    string // decoded key
	keyRaw string // key token as written, quotes included
	lead   string // whitespace after '{' or ',' before the key
	colon  string // text between the key token and the value (e.g. `": "` minus the quote)
	post   string // whitespace after the value before ','
}

// NewString returns a new string value.
func NewString(s string) *Value { return &Value{Kind: String, Str: s, Offset: -1} }

// NewNumber returns a new number value with the literal lit, which must be
// a valid JSON number (see ValidNumber); it is rendered as given.
func NewNumber(lit string) *Value { return &Value{Kind: Number, Num: lit, Offset: -1} }

// NewBool returns a new boolean value.
func NewBool(b bool) *Value { return &Value{Kind: Bool, Bool: b, Offset: -1} }

// NewNull returns a new null value.
func NewNull() *Value { return &Value{Kind: Null, Offset: -1} }

// NewArray returns a new array holding elems.
func NewArray(elems ...*Value) *Value {
	if elems == nil {
		elems = []*Value{}
	}
	return &Value{Kind: Array, Elems: elems, Offset: -1}
}

// NewObject returns a new object holding members, in order.
func NewObject(members ...*Member) *Value {
	if members == nil {
		members = []*Member{}
	}
	return &Value{Kind: Object, Members: members, Offset: -1}
}

// NewMember returns a new object member.
func NewMember(key string, v *Value) *Member {
	return &Member{Key: key, Value: v, KeyOffset: -1}
}

// Get returns the first member of the object v whose key is exactly key,
// or nil (also when v is nil or not an object).
func (v *Value) Get(key string) *Member {
	if i := v.Index(key); i >= 0 {
		return v.Members[i]
	}
	return nil
}

// GetFold returns the first member of the object v whose key equals key
// under Unicode case folding, or nil.
func (v *Value) GetFold(key string) *Member {
	if v == nil || v.Kind != Object {
		return nil
	}
	for _, m := range v.Members {
		if m != nil && strings.EqualFold(m.Key, key) {
			return m
		}
	}
	return nil
}

// Index returns the index in v.Members of the first member whose key is
// exactly key, or -1.
func (v *Value) Index(key string) int {
	if v == nil || v.Kind != Object {
		return -1
	}
	for i, m := range v.Members {
		if m != nil && m.Key == key {
			return i
		}
	}
	return -1
}

// Set sets the value of the member key of the object v: the first member
// with that exact key gets val (keeping its position and layout), or a new
// member is appended. It returns the member. v must be an object.
func (v *Value) Set(key string, val *Value) *Member {
	if m := v.Get(key); m != nil {
		m.Value = val
		return m
	}
	m := NewMember(key, val)
	v.Members = append(v.Members, m)
	return m
}

// Delete removes every member of the object v whose key is exactly key and
// reports whether there was one.
func (v *Value) Delete(key string) bool {
	if v == nil || v.Kind != Object {
		return false
	}
	out := v.Members[:0]
	found := false
	for _, m := range v.Members {
		if m != nil && m.Key == key {
			found = true
			continue
		}
		out = append(out, m)
	}
	for i := len(out); i < len(v.Members); i++ {
		v.Members[i] = nil
	}
	v.Members = out
	return found
}

// InsertMember inserts m at index i of v.Members (0 <= i <= len).
func (v *Value) InsertMember(i int, m *Member) {
	v.Members = append(v.Members, nil)
	copy(v.Members[i+1:], v.Members[i:])
	v.Members[i] = m
}

// InsertElem inserts e at index i of v.Elems (0 <= i <= len).
func (v *Value) InsertElem(i int, e *Value) {
	v.Elems = append(v.Elems, nil)
	copy(v.Elems[i+1:], v.Elems[i:])
	v.Elems[i] = e
}

// RemoveElem removes the element at index i of v.Elems.
func (v *Value) RemoveElem(i int) {
	copy(v.Elems[i:], v.Elems[i+1:])
	v.Elems[len(v.Elems)-1] = nil
	v.Elems = v.Elems[:len(v.Elems)-1]
}

// RemoveMember removes the member at index i of v.Members.
func (v *Value) RemoveMember(i int) {
	copy(v.Members[i:], v.Members[i+1:])
	v.Members[len(v.Members)-1] = nil
	v.Members = v.Members[:len(v.Members)-1]
}

// Clone returns a deep copy of v. The copy keeps the source and layout
// information, so it renders byte-identically to v until it is mutated.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := &Value{Kind: v.Kind, Str: v.Str, Num: v.Num, Bool: v.Bool, Offset: v.Offset, node: v.node}
	if v.Elems != nil {
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = e.Clone()
		}
	}
	if v.Members != nil {
		c.Members = make([]*Member, len(v.Members))
		for i, m := range v.Members {
			c.Members[i] = m.Clone()
		}
	}
	return c
}

// Clone returns a deep copy of m (see Value.Clone).
func (m *Member) Clone() *Member {
	if m == nil {
		return nil
	}
	return &Member{Key: m.Key, Value: m.Value.Clone(), KeyOffset: m.KeyOffset, mn: m.mn}
}

// Equal reports whether v and o are structurally equal: same kind, same
// scalar (numbers compare by literal text), same keys in the same order and
// equal children. Layout and source positions are ignored. A nil *Value
// equals only nil.
func (v *Value) Equal(o *Value) bool {
	if v == nil || o == nil {
		return v == o
	}
	if v == o {
		return true
	}
	if v.Kind != o.Kind {
		return false
	}
	switch v.Kind {
	case Bool:
		return v.Bool == o.Bool
	case Number:
		return v.Num == o.Num
	case String:
		return v.Str == o.Str
	case Array:
		if len(v.Elems) != len(o.Elems) {
			return false
		}
		for i, e := range v.Elems {
			if !e.Equal(o.Elems[i]) {
				return false
			}
		}
	case Object:
		if len(v.Members) != len(o.Members) {
			return false
		}
		for i, m := range v.Members {
			om := o.Members[i]
			if m == nil || om == nil {
				if m != om {
					return false
				}
				continue
			}
			if m.Key != om.Key || !m.Value.Equal(om.Value) {
				return false
			}
		}
	}
	return true
}

// Source returns the original source text of v as it was parsed (the raw
// bytes of this value only, without surrounding whitespace), and false for
// values created by New*. It reflects the source, not later mutations.
func (v *Value) Source() (string, bool) {
	if v == nil || v.node == nil {
		return "", false
	}
	return v.node.raw(), true
}

// Span returns where v's source text lies in the document it was parsed
// from (its first byte to just past its last, surrounding whitespace
// excluded), and false for values created by New*. Like Source, it
// reflects the source, not later mutations; clones share it.
func (v *Value) Span() (Span, bool) {
	if v == nil || v.node == nil {
		return Span{}, false
	}
	n := v.node
	return Span{Start: position(n.doc.src, n.start), End: position(n.doc.src, n.end)}, true
}

// Modified reports whether v differs from its parse-time content (true for
// values created by New*).
func (v *Value) Modified() bool {
	if v == nil || v.node == nil {
		return true
	}
	var r renderer
	return !r.unchanged(v)
}
