package udiff

import (
	"fmt"
	"strconv"
	"strings"
)

// applyDiff is a small, strict unified-diff applier for tests: context and
// removed lines must match exactly, hunk coordinates and counts must agree
// with the text, and hunks must be in order. It returns the patched text
// and the parsed hunks.
func applyDiff(a, diff string) (string, []hunk, error) {
	if diff == "" {
		return a, nil, nil
	}
	dl := strings.SplitAfter(diff, "\n")
	if dl[len(dl)-1] != "" {
		return "", nil, fmt.Errorf("diff does not end in a newline")
	}
	dl = dl[:len(dl)-1]
	if len(dl) < 3 || !strings.HasPrefix(dl[0], "--- ") || !strings.HasPrefix(dl[1], "+++ ") {
		return "", nil, fmt.Errorf("missing ---/+++ headers")
	}
	old := lines(a)
	var out []string
	var hunks []hunk
	cursor := 0 // next line of old to copy
	for i := 2; i < len(dl); {
		h, err := parseHunkHeader(dl[i])
		if err != nil {
			return "", nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		i++
		// Read the body: exactly OldN old-side and NewN new-side lines.
		var body []line
		for o, n := 0, 0; o < h.OldN || n < h.NewN; {
			if i >= len(dl) {
				return "", nil, fmt.Errorf("hunk %q truncated", h.Header)
			}
			l := dl[i]
			i++
			op, text := l[0], l[1:]
			switch op {
			case ' ':
				o++
				n++
			case '-':
				o++
			case '+':
				n++
			default:
				return "", nil, fmt.Errorf("line %d: bad hunk line %q", i, l)
			}
			if i < len(dl) && dl[i] == noNewline {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			body = append(body, line{op, text})
		}
		if i < len(dl) && !strings.HasPrefix(dl[i], "@@ ") {
			return "", nil, fmt.Errorf("line %d: junk after hunk: %q", i+1, dl[i])
		}
		h.Lines = body
		start := h.OldAt - 1
		if h.OldN == 0 {
			start = h.OldAt
		}
		if start < cursor || start > len(old) {
			return "", nil, fmt.Errorf("hunk %q out of order or range (cursor %d, %d old lines)", h.Header, cursor, len(old))
		}
		out = append(out, old[cursor:start]...)
		newStart := len(out) + 1
		if h.NewN == 0 {
			newStart = len(out)
		}
		if newStart != h.NewAt {
			return "", nil, fmt.Errorf("hunk %q: new side starts at line %d", h.Header, newStart)
		}
		at := start
		for _, l := range body {
			if l.op != '+' {
				if at >= len(old) || old[at] != l.text {
					return "", nil, fmt.Errorf("hunk %q: line %d of old is not %q", h.Header, at+1, l.text)
				}
				at++
			}
			if l.op != '-' {
				out = append(out, l.text)
			}
		}
		cursor = at
		hunks = append(hunks, h)
	}
	out = append(out, old[cursor:]...)
	return strings.Join(out, ""), hunks, nil
}

type hunk struct {
	Header                   string
	OldAt, OldN, NewAt, NewN int
	Lines                    []line
}

func parseHunkHeader(s string) (hunk, error) {
	h := hunk{Header: strings.TrimSuffix(s, "\n")}
	var o, n string
	if _, err := fmt.Sscanf(h.Header, "@@ -%s +%s @@", &o, &n); err != nil || h.Header != "@@ -"+o+" +"+n+" @@" {
		return h, fmt.Errorf("bad hunk header %q", s)
	}
	parse := func(r string) (at, cnt int, err error) {
		as, cs, found := strings.Cut(r, ",")
		if at, err = strconv.Atoi(as); err != nil {
			return
		}
		cnt = 1
		if found {
			if cs == "1" { // GNU diff omits ",1"; so must we
				return 0, 0, fmt.Errorf("redundant ,1")
			}
			cnt, err = strconv.Atoi(cs)
		}
		return
	}
	var err1, err2 error
	h.OldAt, h.OldN, err1 = parse(o)
	h.NewAt, h.NewN, err2 = parse(n)
	if err1 != nil || err2 != nil || h.OldAt < 0 || h.NewAt < 0 || h.OldN < 0 || h.NewN < 0 || (h.OldN == 0 && h.NewN == 0) {
		return h, fmt.Errorf("bad hunk header %q", s)
	}
	return h, nil
}

// lines splits s after each "\n".
func lines(s string) []string {
	var ls []string
	for l := range strings.Lines(s) {
		ls = append(ls, l)
	}
	return ls
}
