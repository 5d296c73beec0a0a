package jsonast

import (
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string: '"', '\\' and control characters
// are escaped, everything else (including <, >, & and non-ASCII) is written
// as is. Invalid UTF-8 is replaced by U+FFFD.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Quote returns s as a JSON string literal (without HTML escaping).
func Quote(s string) string { return string(appendQuoted(nil, s)) }

// ValidNumber reports whether lit is a valid JSON number literal.
func ValidNumber(lit string) bool {
	p := &parser{s: lit, d: &doc{src: lit}}
	if lit == "" || !(lit[0] == '-' || isDigit(lit[0])) {
		return false
	}
	_, err := p.number()
	return err == nil && p.pos == len(lit)
}

// Compact returns v as minified JSON: keys in order, no insignificant
// whitespace, strings escaped as JSON requires but without HTML escaping,
// numbers as written. A nil *Value (also as an element or member value) is
// written as null; nil members are skipped.
func Compact(v *Value) []byte {
	return appendCompact(nil, v, 0)
}

func appendCompact(dst []byte, v *Value, depth int) []byte {
	if depth > maxRenderDepth {
		panic("jsonast: tree too deep or cyclic")
	}
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case Bool:
		if v.Bool {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return append(dst, v.Num...)
	case String:
		return appendQuoted(dst, v.Str)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendCompact(dst, e, depth+1)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		first := true
		for _, m := range v.Members {
			if m == nil {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendQuoted(dst, m.Key)
			dst = append(dst, ':')
			dst = appendCompact(dst, m.Value, depth+1)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// Indent returns v pretty-printed like encoding/json.MarshalIndent: each
// array element or object member on its own line, starting with prefix and
// one copy of unit per nesting level; ": " after keys; empty containers as
// {} and []. The first line is not prefixed and there is no final newline.
func Indent(v *Value, prefix, unit string) []byte {
	return appendIndent(nil, v, prefix, unit, 0)
}

func appendIndent(dst []byte, v *Value, prefix, unit string, depth int) []byte {
	if depth > maxRenderDepth {
		panic("jsonast: tree too deep or cyclic")
	}
	newline := func(dst []byte, level int) []byte {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range level {
			dst = append(dst, unit...)
		}
		return dst
	}
	if v == nil {
		return append(dst, "null"...)
	}
	switch v.Kind {
	case Array:
		if len(v.Elems) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, e := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = newline(dst, depth+1)
			dst = appendIndent(dst, e, prefix, unit, depth+1)
		}
		dst = newline(dst, depth)
		return append(dst, ']')
	case Object:
		first := true
		for _, m := range v.Members {
			if m == nil {
				continue
			}
			if first {
				dst = append(dst, '{')
			} else {
				dst = append(dst, ',')
			}
			first = false
			dst = newline(dst, depth+1)
			dst = appendQuoted(dst, m.Key)
			dst = append(dst, ':', ' ')
			dst = appendIndent(dst, m.Value, prefix, unit, depth+1)
		}
		if first {
			return append(dst, "{}"...)
		}
		dst = newline(dst, depth)
		return append(dst, '}')
	}
	return appendCompact(dst, v, depth)
}
