package udiff

import (
	"strconv"
	"strings"
)

// ANSI SGR sequences used by Colorize.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiCyan  = "\x1b[36m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
)

// Colorize adds ANSI colours to a unified diff, as git does: "---"/"+++"
// headers bold, "@@" hunk headers cyan, removed lines red, added lines
// green; context lines, "\ No newline at end of file" and anything else are
// left alone. Every coloured line is reset before its line ending, so a
// diff of CRLF text keeps its "\r" outside the escape codes.
//
// It tracks the line counts of each hunk, so a removed line that itself
// starts with "-- " is coloured as a removal, not as a header. Callers
// decide when to colour (only on a terminal, never under NO_COLOR or
// --no-color); Colorize just colours. Colorize("") is "".
func Colorize(diff string) string {
	var sb strings.Builder
	sb.Grow(len(diff) + len(diff)/4)
	oldLeft, newLeft := 0, 0 // lines still expected in the current hunk
	for l := range strings.Lines(diff) {
		body, eol := splitEOL(l)
		color := ""
		switch {
		case oldLeft > 0 || newLeft > 0:
			switch body[0:min(1, len(body))] {
			case "-":
				color = ansiRed
				oldLeft--
			case "+":
				color = ansiGreen
				newLeft--
			case " ", "":
				// context (an empty body is a context line whose space
				// was stripped, which some tools do)
				oldLeft--
				newLeft--
			case "\\":
				// "\ No newline at end of file": uncoloured
			default:
				// Not a hunk line after all: the counts were wrong. Fall
				// back to colouring by prefix.
				oldLeft, newLeft = 0, 0
				color = prefixColor(body, &oldLeft, &newLeft)
			}
		default:
			color = prefixColor(body, &oldLeft, &newLeft)
		}
		if color == "" || body == "" {
			sb.WriteString(l)
			continue
		}
		sb.WriteString(color)
		sb.WriteString(body)
		sb.WriteString(ansiReset)
		sb.WriteString(eol)
	}
	return sb.String()
}

// prefixColor colours a line outside a hunk by its prefix and, for a hunk
// header, sets the line counts that follow.
func prefixColor(body string, oldLeft, newLeft *int) string {
	switch {
	case strings.HasPrefix(body, "@@ "):
		*oldLeft, *newLeft = hunkCounts(body)
		return ansiCyan
	case strings.HasPrefix(body, "--- "), strings.HasPrefix(body, "+++ "):
		return ansiBold
	case strings.HasPrefix(body, "-"):
		return ansiRed
	case strings.HasPrefix(body, "+"):
		return ansiGreen
	}
	return ""
}

// hunkCounts parses "@@ -l[,s] +l[,s] @@…" and returns the two counts, or
// 0, 0 if the header is malformed.
func hunkCounts(h string) (oldN, newN int) {
	f := strings.Fields(h)
	if len(f) < 4 || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0
	}
	count := func(r string) (int, bool) {
		_, s, found := strings.Cut(r[1:], ",")
		if !found {
			return 1, true
		}
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0
	}
	o, ok1 := count(f[1])
	n, ok2 := count(f[2])
	if !ok1 || !ok2 {
		return 0, 0
	}
	return o, n
}

// splitEOL splits l into its text and its line ending ("\n", "\r\n" or "").
func splitEOL(l string) (body, eol string) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2], l[len(l)-2:]
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], l[len(l)-1:]
	}
	return l, ""
}
