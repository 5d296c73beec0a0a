package cond

import "strings"

// Resolver resolves policy variables. Lookup returns the key's single value and whether it
// exists. Condition-key names are case-insensitive (IAM-vars: "Key names are case-insensitive"),
// so Lookup always receives the key lower-cased, e.g. "aws:principaltag/team".
type Resolver interface {
	Lookup(key string) (string, bool)
}

// MapResolver is a Resolver backed by a map whose keys must be lower-case.
type MapResolver map[string]string

// Lookup implements Resolver.
func (m MapResolver) Lookup(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

// hasVar reports whether s may contain a policy variable.
func hasVar(s string) bool { return strings.Contains(s, "${") }

// Substitute resolves the policy variables in s (IAM-vars): ${key} is replaced by the key's
// value, ${key, 'default'} falls back to default when the key has no value, and the fixed
// variables ${*}, ${?} and ${$} produce a literal '*', '?' and '$'. Keys are case-insensitive
// (Lookup receives them lower-cased). ok is false when a variable has neither a value nor a
// default. The result is plain text, suitable for the Equals operators; for *Like, ArnLike and
// Resource patterns use SubstitutePattern, which keeps ${*} and ${?} literal.
//
// With vars nil (policy Version 2008-10-17 or no Version), nothing is substituted: s is
// returned unchanged (IAM-version).
//
// Substitution is a single pass: text produced by a variable is never re-scanned. A "${"
// without a closing "}" is literal text.
func Substitute(s string, vars Resolver) (string, bool) {
	if vars == nil {
		return s, true
	}
	return substitute(s, vars, false)
}

// Pattern is a wildcard pattern in escaped form: '*' and '?' are wildcards and a backslash makes
// the next character literal. It is what SubstitutePattern produces, so that ${*}, ${?} and the
// characters of substituted values match literally. Convert raw policy text with GlobPattern.
type Pattern string

// GlobPattern converts raw policy glob text (where a backslash is an ordinary character) to a
// Pattern with the same meaning.
func GlobPattern(s string) Pattern {
	if strings.IndexByte(s, '\\') < 0 {
		return Pattern(s)
	}
	return Pattern(strings.ReplaceAll(s, `\`, `\\`))
}

// QuotePattern returns a Pattern that matches exactly the literal text s.
func QuotePattern(s string) Pattern {
	var b strings.Builder
	writeQuoted(&b, s)
	return Pattern(b.String())
}

func writeQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '*', '?':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
}

// Match reports whether s matches the pattern with StringLike semantics.
func (p Pattern) Match(s string) bool { return glob(string(p), s, true, false) }

// MatchARN reports whether arn matches the pattern with ArnLike semantics.
func (p Pattern) MatchARN(arn string) bool { return arnLike(string(p), true, arn) }

// MatchResource reports whether arn matches the pattern with Resource-element semantics
// (see MatchResource).
func (p Pattern) MatchResource(arn string) bool {
	if p == "*" {
		return true
	}
	return matchResource(string(p), true, arn)
}

// Literal returns the text the pattern matches when it has no wildcard.
func (p Pattern) Literal() (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' || c == '?':
			return "", false
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// SubstitutePattern is Substitute for wildcard patterns (*Like, ArnLike/ArnEquals, Resource):
// wildcards written in s stay wildcards, while ${*}, ${?} and every character of a substituted
// value or default match literally. With vars nil it returns GlobPattern(s).
func SubstitutePattern(s string, vars Resolver) (Pattern, bool) {
	if vars == nil {
		return GlobPattern(s), true
	}
	r, ok := substitute(s, vars, true)
	return Pattern(r), ok
}

func substitute(s string, vars Resolver, pattern bool) (string, bool) {
	if !hasVar(s) {
		if pattern {
			return string(GlobPattern(s)), true
		}
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	lit := func(t string) {
		if pattern {
			b.WriteString(string(GlobPattern(t)))
		} else {
			b.WriteString(t)
		}
	}
	val := func(t string) {
		if pattern {
			writeQuoted(&b, t)
		} else {
			b.WriteString(t)
		}
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit(s)
			break
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			lit(s)
			break
		}
		lit(s[:i])
		inner := s[i+2 : i+2+j]
		s = s[i+2+j+1:]
		switch inner {
		case "*", "?", "$":
			val(inner)
			continue
		}
		v, ok := resolve(inner, vars)
		if !ok {
			return "", false
		}
		val(v)
	}
	return b.String(), true
}

// resolve looks up "key" or "key, 'default'" (IAM-vars, "Specifying default values": the
// default is single-quoted and separated by a comma and a space; surrounding spaces are
// tolerated).
func resolve(inner string, vars Resolver) (string, bool) {
	key, def, hasDef := inner, "", false
	if c := strings.IndexByte(inner, ','); c >= 0 {
		key = inner[:c]
		d := strings.TrimSpace(inner[c+1:])
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			def, hasDef = d[1:len(d)-1], true
		}
	}
	key = strings.ToLower(strings.TrimSpace(key))
	if v, ok := vars.Lookup(key); ok {
		return v, true
	}
	return def, hasDef
}
