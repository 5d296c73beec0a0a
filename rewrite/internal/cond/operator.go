package cond

import (
	"errors"
	"fmt"
	"strings"
)

// Family is the value type a condition operator compares.
type Family uint8

// The operator families. The zero Family is not a valid family.
const (
	String Family = iota + 1
	Numeric
	Date
	Bool
	Binary
	IP
	ARN
	Null
)

var familyNames = [...]string{"", "String", "Numeric", "Date", "Bool", "Binary", "IP", "ARN", "Null"}

// String returns the family's name, e.g. "Numeric".
func (f Family) String() string {
	if int(f) < len(familyNames) && f != 0 {
		return familyNames[f]
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// AllowsVariables reports whether policy variables are substituted in values of this family
// (String, ARN and Bool; IAM-vars, IAM-operators).
func (f Family) AllowsVariables() bool { return f == String || f == ARN || f == Bool }

// SetOp is a set-operator prefix for multivalued keys.
type SetOp uint8

// The set operators.
const (
	SetNone SetOp = iota
	ForAllValues
	ForAnyValue
)

// String returns "ForAllValues", "ForAnyValue" or "" for SetNone.
func (s SetOp) String() string {
	switch s {
	case SetNone:
		return ""
	case ForAllValues:
		return "ForAllValues"
	case ForAnyValue:
		return "ForAnyValue"
	}
	return fmt.Sprintf("SetOp(%d)", uint8(s))
}

// cmpKind is the comparison a base operator performs.
type cmpKind uint8

const (
	cmpNone   cmpKind = iota
	cmpEq             // equality (String, Numeric, Date, Bool, Binary, Null)
	cmpEqFold         // case-insensitive string equality
	cmpLike           // glob (StringLike, ArnLike, ArnEquals)
	cmpLT
	cmpLE
	cmpGT
	cmpGE
	cmpIn // IP address in range
)

type baseInfo struct {
	name    string
	family  Family
	cmp     cmpKind
	negated bool
}

var baseOperators = []baseInfo{
	{"StringEquals", String, cmpEq, false},
	{"StringNotEquals", String, cmpEq, true},
	{"StringEqualsIgnoreCase", String, cmpEqFold, false},
	{"StringNotEqualsIgnoreCase", String, cmpEqFold, true},
	{"StringLike", String, cmpLike, false},
	{"StringNotLike", String, cmpLike, true},
	{"NumericEquals", Numeric, cmpEq, false},
	{"NumericNotEquals", Numeric, cmpEq, true},
	{"NumericLessThan", Numeric, cmpLT, false},
	{"NumericLessThanEquals", Numeric, cmpLE, false},
	{"NumericGreaterThan", Numeric, cmpGT, false},
	{"NumericGreaterThanEquals", Numeric, cmpGE, false},
	{"DateEquals", Date, cmpEq, false},
	{"DateNotEquals", Date, cmpEq, true},
	{"DateLessThan", Date, cmpLT, false},
	{"DateLessThanEquals", Date, cmpLE, false},
	{"DateGreaterThan", Date, cmpGT, false},
	{"DateGreaterThanEquals", Date, cmpGE, false},
	{"Bool", Bool, cmpEq, false},
	{"BinaryEquals", Binary, cmpEq, false},
	{"IpAddress", IP, cmpIn, false},
	{"NotIpAddress", IP, cmpIn, true},
	{"ArnEquals", ARN, cmpLike, false},
	{"ArnLike", ARN, cmpLike, false},
	{"ArnNotEquals", ARN, cmpLike, true},
	{"ArnNotLike", ARN, cmpLike, true},
	{"Null", Null, cmpEq, false},
}

var baseByLower = func() map[string]int {
	m := make(map[string]int, len(baseOperators))
	for i, b := range baseOperators {
		m[strings.ToLower(b.name)] = i
	}
	return m
}()

// BaseOperators returns the canonical names of all base condition operators, in a fixed order.
func BaseOperators() []string {
	out := make([]string, len(baseOperators))
	for i, b := range baseOperators {
		out[i] = b.name
	}
	return out
}

// Errors returned by this package; test with errors.Is.
var (
	// ErrUnknownOperator reports a condition operator name that AWS does not define.
	ErrUnknownOperator = errors.New("unknown condition operator")
	// ErrInvalidOperator reports a known operator used with a modifier it cannot take
	// (Null with IfExists or a set prefix).
	ErrInvalidOperator = errors.New("invalid condition operator")
	// ErrInvalidValue reports a policy value the operator cannot interpret; see ValueError.
	ErrInvalidValue = errors.New("invalid condition value")
)

// ValueError reports a policy value that does not fit its operator, e.g.
// `NumericLessThan: "ten" is not a number`.
type ValueError struct {
	Operator string // canonical operator name
	Value    string // the offending value
	Want     string // what was expected, e.g. "a number"
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%s: %q is not %s", e.Operator, e.Value, e.Want)
}

// Is makes errors.Is(err, ErrInvalidValue) true.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

// Operator is a parsed condition operator such as "ForAnyValue:StringNotLikeIfExists".
// Obtain one from ParseOperator; an Operator built by hand is interpreted from its Base field.
type Operator struct {
	Name     string // canonical spelling, e.g. "ForAnyValue:StringNotLikeIfExists"
	Base     string // canonical base operator, e.g. "StringNotLike"
	Family   Family
	Set      SetOp
	IfExists bool
	Negated  bool // StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike

	base uint8 // index+1 into baseOperators; 0 when built by hand
}

// String returns the canonical name.
func (op Operator) String() string { return op.Name }

// info returns the base operator description.
func (op Operator) info() (baseInfo, bool) {
	if op.base != 0 {
		return baseOperators[op.base-1], true
	}
	i, ok := baseByLower[strings.ToLower(op.Base)]
	if !ok {
		return baseInfo{}, false
	}
	return baseOperators[i], true
}

// ParseOperator accepts operator names case-insensitively (set prefix, base and IfExists suffix)
// and returns the canonical form. Unknown names give an error wrapping ErrUnknownOperator
// (`unknown condition operator "StringEqual"`); Null with IfExists or a set prefix gives an error
// wrapping ErrInvalidOperator. Whether AWS itself accepts non-canonical casing is UNCONFIRMED
// (not stated in AWS's documentation); callers should always emit Name.
func ParseOperator(s string) (Operator, error) {
	rest := s
	set := SetNone
	switch {
	case hasPrefixFold(rest, "ForAllValues:"):
		set, rest = ForAllValues, rest[len("ForAllValues:"):]
	case hasPrefixFold(rest, "ForAnyValue:"):
		set, rest = ForAnyValue, rest[len("ForAnyValue:"):]
	}
	idx, ok := baseByLower[strings.ToLower(rest)]
	ifExists := false
	if !ok && len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		idx, ok = baseByLower[strings.ToLower(rest[:len(rest)-len("IfExists")])]
		ifExists = true
	}
	if !ok {
		return Operator{}, fmt.Errorf("%w %q", ErrUnknownOperator, s)
	}
	b := baseOperators[idx]
	if b.family == Null && (ifExists || set != SetNone) {
		return Operator{}, fmt.Errorf("%w %q: Null takes neither IfExists nor a set operator", ErrInvalidOperator, s)
	}
	name := b.name
	if ifExists {
		name += "IfExists"
	}
	if set != SetNone {
		name = set.String() + ":" + name
	}
	return Operator{
		Name:     name,
		Base:     b.name,
		Family:   b.family,
		Set:      set,
		IfExists: ifExists,
		Negated:  b.negated,
		base:     uint8(idx + 1),
	}, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Validate checks the policy values for this operator: numbers for Numeric, ISO 8601 or epoch
// seconds for Date, CIDR or bare IP (v4/v6) for IP, "true"/"false" for Bool and Null
// (case-insensitive), base64 for Binary. String and ARN values are not checked. A Bool value that
// contains a policy variable is accepted (variables are allowed there). The error is a *ValueError
// naming the operator and the bad value.
func (op Operator) Validate(values []string) error {
	info, ok := op.info()
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownOperator, op.Name)
	}
	name := op.Name
	if name == "" {
		name = info.name
	}
	for _, v := range values {
		var want string
		switch info.family {
		case Numeric:
			if _, ok := parseDecimal(v); !ok {
				want = "a number"
			}
		case Date:
			if _, ok := parseDate(v); !ok {
				want = "a date (ISO 8601 or epoch seconds)"
			}
		case IP:
			if _, ok := parsePolicyIP(v); !ok {
				want = "an IP address or CIDR block"
			}
		case Bool:
			if _, ok := parseBool(v); !ok && !hasVar(v) {
				want = `"true" or "false"`
			}
		case Null:
			if _, ok := parseBool(v); !ok {
				want = `"true" or "false"`
			}
		case Binary:
			if !validBase64(v) {
				want = "base64"
			}
		}
		if want != "" {
			return &ValueError{Operator: name, Value: v, Want: want}
		}
	}
	return nil
}
