// Package udiff renders line-based unified diffs, as read by patch(1) and
// git apply, on top of github.com/sergi/go-diff's Myers implementation.
//
// go-diff's own PatchToText output is not a unified diff (its coordinates
// are byte offsets and its text is URL-escaped); this package encodes each
// line as one rune, diffs the rune strings with DiffMainRunes and
// checklines=false, re-hydrates the lines and groups them into hunks
// (go-diff's PatchToText is not a unified diff: its offsets are bytes and
// its text is URL-escaped).
package udiff

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// DefaultContext is the number of context lines diff -u and git use.
const DefaultContext = 3

// maxLines bounds the lines handed to go-diff, whose line-to-rune encoding
// panics past about two million distinct lines. Larger inputs get a
// correct but non-minimal diff that replaces the whole text. It is a
// variable only so tests can lower it.
var maxLines = 1 << 20

const noNewline = "\\ No newline at end of file\n"

// line is one line of the edit script: op is ' ', '-' or '+'; text keeps its
// line ending ("\n", "\r\n", or none for a last line without one).
type line struct {
	op   byte
	text string
}

// Unified returns a unified diff of a and b: "--- oldName" and
// "+++ newName" headers, then "@@ -l,s +l,s @@" hunks with ctx lines of
// context (negative means 0), merging changes separated by at most 2*ctx
// unchanged lines into one hunk, as GNU diff does. It returns "" when a and
// b are equal.
//
// Lines are split after "\n" only, so a "\r" before it stays part of the
// line and CRLF text round-trips. A last line without a final newline is
// followed by "\ No newline at end of file". An empty side is written with
// count 0 and the number of the line before the change (e.g. "-0,0").
// The diff is minimal (Myers) and deterministic: no time limit is used.
//
// It is the hunk loop of the unified format, one state machine over the edit script.
func Unified(oldName, newName string, a, b []byte, ctx int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	ctx = max(ctx, 0)
	ls := editScript(string(a), string(b))

	var sb strings.Builder
	sb.Grow(len(a)/8 + len(b)/8 + 64)
	sb.WriteString("--- ")
	sb.WriteString(oldName)
	sb.WriteString("\n+++ ")
	sb.WriteString(newName)
	sb.WriteByte('\n')

	// oldLine/newLine are the numbers of the lines before ls[pos] on each
	// side, maintained incrementally as hunks are emitted.
	oldLine, newLine, pos := 0, 0, 0
	advance := func(to int) {
		for ; pos < to; pos++ {
			if ls[pos].op != '+' {
				oldLine++
			}
			if ls[pos].op != '-' {
				newLine++
			}
		}
	}
	for i := 0; i < len(ls); {
		for i < len(ls) && ls[i].op == ' ' { // skip to the next change
			i++
		}
		if i == len(ls) {
			break
		}
		start, end := max(0, i-ctx), i
		for end < len(ls) { // grow the hunk while equal gaps are <= 2*ctx
			if ls[end].op != ' ' {
				end++
				continue
			}
			j := end
			for j < len(ls) && ls[j].op == ' ' {
				j++
			}
			if j == len(ls) || j-end > 2*ctx {
				end = min(len(ls), end+ctx)
				break
			}
			end = j
		}
		advance(start)
		oldAt, newAt := oldLine+1, newLine+1
		var oldN, newN int
		for _, l := range ls[start:end] {
			if l.op != '+' {
				oldN++
			}
			if l.op != '-' {
				newN++
			}
		}
		if oldN == 0 {
			oldAt--
		}
		if newN == 0 {
			newAt--
		}
		sb.WriteString("@@ -")
		writeRange(&sb, oldAt, oldN)
		sb.WriteString(" +")
		writeRange(&sb, newAt, newN)
		sb.WriteString(" @@\n")
		for _, l := range ls[start:end] {
			sb.WriteByte(l.op)
			sb.WriteString(l.text)
			if !strings.HasSuffix(l.text, "\n") {
				sb.WriteByte('\n')
				sb.WriteString(noNewline)
			}
		}
		i = end
	}
	return sb.String()
}

// writeRange writes "at,n", or just "at" when n is 1, as GNU diff does.
func writeRange(sb *strings.Builder, at, n int) {
	sb.WriteString(strconv.Itoa(at))
	if n != 1 {
		sb.WriteByte(',')
		sb.WriteString(strconv.Itoa(n))
	}
}

// editScript returns the line-level edit script turning a into b.
func editScript(a, b string) []line {
	if strings.Count(a, "\n")+strings.Count(b, "\n")+2 > maxLines {
		return replaceAll(a, b)
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // deterministic: never settle for a non-minimal diff
	r1, r2, table := dmp.DiffLinesToRunes(a, b)
	// No cleanups after re-hydration: they work per character and would
	// break line alignment.
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(r1, r2, false), table)
	var ls []line
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		ls = appendLines(ls, op, d.Text)
	}
	return ls
}

// replaceAll is the fallback edit script: delete every line of a, insert
// every line of b.
func replaceAll(a, b string) []line {
	return appendLines(appendLines(nil, '-', a), '+', b)
}

func appendLines(ls []line, op byte, text string) []line {
	for l := range strings.Lines(text) {
		ls = append(ls, line{op, l})
	}
	return ls
}
