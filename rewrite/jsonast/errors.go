package jsonast

// Syntax errors and source positions.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError describes why Parse rejected its input.
type SyntaxError struct {
	Offset int    // byte offset of the error in the source
	Line   int    // 1-based line of Offset
	Col    int    // 1-based column of Offset, in characters (a tab counts 1)
	Col16  int    // the same column in UTF-16 code units (see Pos)
	Path   string // JSON Pointer of the enclosing value; "" for the root
	Msg    string
}

// Error returns "line L, column C: MSG", with " (at PATH)" after the column
// when the path is not the root.
func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("line %d, column %d (at %s): %s", e.Line, e.Col, e.Path, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// LineCol returns the 1-based line and column of the byte offset in src.
// Lines are separated by '\n'; columns count characters (UTF-8 sequences),
// a tab counts as one and a leading byte order mark as none. Offsets out of
// range are clamped. Position gives the UTF-16 column as well.
func LineCol(src []byte, offset int) (line, col int) {
	p := position(string(src), offset)
	return p.Line, p.Col
}

// Pos is a position in a source text.
type Pos struct {
	Offset int // byte offset, clamped to the source
	Line   int // 1-based; lines are separated by '\n'
	// Col is the 1-based column in characters (UTF-8 sequences; a tab and an
	// invalid byte count as one, a leading byte order mark as none).
	Col int
	// Col16 is the same column in UTF-16 code units: characters outside the
	// Basic Multilingual Plane count two. SARIF counts columns this way by
	// default (SARIF 2.1.0, the run object's columnKind "utf16CodeUnits").
	Col16 int
}

// Position returns the position of the byte offset in src (see Pos);
// offsets out of range are clamped.
func Position(src []byte, offset int) Pos { return position(string(src), offset) }

// Span is the source text of a value: Start at its first byte, End just
// past its last (End.Offset is exclusive, so End's column is one past the
// value's last character).
type Span struct {
	Start, End Pos
}

// IsZero reports whether s is the zero Span (no source position known).
func (s Span) IsZero() bool { return s == Span{} }

func position(s string, offset int) Pos {
	offset = max(0, min(offset, len(s)))
	ls := strings.LastIndexByte(s[:offset], '\n') + 1
	line := 1 + strings.Count(s[:offset], "\n")
	if ls == 0 && strings.HasPrefix(s, bom) && offset >= len(bom) {
		ls = len(bom)
	}
	col, col16 := 1, 1
	for _, r := range s[ls:offset] {
		col++
		col16 += utf16.RuneLen(r)
	}
	return Pos{Offset: offset, Line: line, Col: col, Col16: col16}
}

func (p *parser) errAt(off int, msg string) *SyntaxError {
	return p.errPath(off, msg, p.path)
}

func (p *parser) errPath(off int, msg string, path []pathSeg) *SyntaxError {
	pos := position(p.s, off)
	return &SyntaxError{Offset: off, Line: pos.Line, Col: pos.Col, Col16: pos.Col16, Path: pointer(path), Msg: msg}
}

func pointer(path []pathSeg) string {
	if len(path) == 0 {
		return ""
	}
	var b strings.Builder
	for _, s := range path {
		b.WriteByte('/')
		if s.index >= 0 {
			b.WriteString(strconv.Itoa(s.index))
		} else {
			b.WriteString(escapePointer(s.key))
		}
	}
	return b.String()
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// errEOF reports the end of the input inside a value.
func (p *parser) errEOF() *SyntaxError {
	if len(p.open) == 0 {
		return p.errAt(len(p.s), "unexpected end of input")
	}
	o := p.open[len(p.open)-1]
	at := position(p.s, o.off)
	what := "array"
	if o.kind == Object {
		what = "object"
	}
	// the path of the unterminated container itself
	path := p.path
	if d := len(p.open) - 1; d < len(path) {
		path = path[:d]
	}
	return p.errPath(len(p.s), fmt.Sprintf("unterminated %s opened at line %d, column %d", what, at.Line, at.Col), path)
}

// errChar reports the unexpected character at off; ctx completes the
// sentence "invalid character 'x' ...".
func (p *parser) errChar(off int, ctx string) *SyntaxError {
	if off >= len(p.s) {
		return p.errEOF()
	}
	r, size := utf8.DecodeRuneInString(p.s[off:])
	if r == utf8.RuneError && size <= 1 {
		return p.errAt(off, fmt.Sprintf("invalid UTF-8 byte 0x%02X", p.s[off]))
	}
	msg := "invalid character " + quoteChar(r) + " " + ctx
	switch {
	case r == '\'':
		msg += " (JSON strings must use double quotes)"
	case r == '/' && off+1 < len(p.s) && (p.s[off+1] == '/' || p.s[off+1] == '*'):
		msg += " (comments are not allowed in JSON)"
	}
	return p.errAt(off, msg)
}

func quoteChar(r rune) string {
	switch r {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(r))
	return "'" + q[1:len(q)-1] + "'"
}
