package jsonast

// String literals.

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// str parses the string starting at p.pos (an opening quote) and returns
// it decoded.
func (p *parser) str() (string, error) {
	s := p.s
	start := p.pos
	i := start + 1
	ascii := true
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			seg := s[start+1 : i]
			if !ascii && !utf8.ValidString(seg) {
				return "", p.badUTF8(start + 1)
			}
			p.pos = i + 1
			return seg, nil
		case c == '\\':
			return p.strSlow(start, i)
		case c < 0x20:
			return "", p.errAt(i, fmt.Sprintf("invalid control character U+%04X in string (must be escaped)", c))
		case c >= utf8.RuneSelf:
			ascii = false
		}
		i++
	}
	return "", p.errAt(start, "unterminated string")
}

// badUTF8 reports the first invalid UTF-8 sequence at or after off.
func (p *parser) badUTF8(off int) *SyntaxError {
	s := p.s
	for off < len(s) {
		r, size := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && size == 1 {
			return p.errAt(off, fmt.Sprintf("invalid UTF-8 byte 0x%02X in string", s[off]))
		}
		off += size
	}
	return p.errAt(off, "invalid UTF-8 in string")
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 decodes the four hex digits of a \u escape whose backslash is at bs.
func (p *parser) hex4(bs int) (rune, error) {
	s := p.s
	var r rune
	for j := bs + 2; j < bs+6; j++ {
		if j >= len(s) {
			return 0, p.errAt(p.curString, "unterminated string")
		}
		h := hexVal(s[j])
		if h < 0 {
			end := j + 1
			if s[j] >= utf8.RuneSelf {
				_, size := utf8.DecodeRuneInString(s[j:])
				end = j + size
			}
			return 0, p.errAt(bs, "invalid escape "+showEscape(s[bs:end])+" in string")
		}
		r = r<<4 | h
	}
	return r, nil
}

// showEscape quotes a bad escape sequence for a message: as written when
// printable (`"\q"`), else Go-quoted.
func showEscape(esc string) string {
	for _, r := range esc {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return strconv.Quote(esc)
		}
	}
	return `"` + esc + `"`
}

func (p *parser) strSlow(start, i int) (string, error) {
	s := p.s
	p.curString = start
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, s[start+1:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", p.badUTF8(start + 1)
			}
			p.pos = i + 1
			return string(buf), nil
		case c < 0x20:
			return "", p.errAt(i, fmt.Sprintf("invalid control character U+%04X in string (must be escaped)", c))
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		// escape
		if i+1 >= len(s) {
			return "", p.errAt(start, "unterminated string")
		}
		e := s[i+1]
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := p.hex4(i)
			if err != nil {
				return "", err
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					lo, err := p.hex4(i)
					if err != nil {
						return "", err
					}
					r2 = lo
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			end := i + 2
			if e >= utf8.RuneSelf {
				_, size := utf8.DecodeRuneInString(s[i+1:])
				end = i + 1 + size
			}
			return "", p.errAt(i, "invalid escape "+showEscape(s[i:end])+" in string")
		}
		i += 2
	}
	return "", p.errAt(start, "unterminated string")
}
