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
	"sort"
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
// The diff anchors on lines unique to both sides (patience), then is
// minimal (Myers) between anchors; it is deterministic: no time limit.
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
	return patience(splitLines(a), splitLines(b))
}

func splitLines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		out = append(out, l)
	}
	return out
}

// patience is the patience diff (Bram Cohen's, as git diff --patience): the
// lines that occur once in each side and in the same order anchor the
// script, and the stretches between anchors are diffed recursively, then
// by Myers. A reviewer then sees an unchanged statement kept where it was,
// not a line of it paired with a new statement's line that happens to be
// equal (a closing brace, an old exemption).
func patience(a, b []string) []line {
	var out []line
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		out = append(out, line{' ', a[0]})
		a, b = a[1:], b[1:]
	}
	var tail []line
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		tail = append(tail, line{' ', a[len(a)-1]})
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	anchors := uniqueCommon(a, b)
	if len(anchors) == 0 {
		out = append(out, myers(a, b)...)
	} else {
		ai, bi := 0, 0
		for _, an := range anchors {
			out = append(out, patience(a[ai:an[0]], b[bi:an[1]])...)
			out = append(out, line{' ', a[an[0]]})
			ai, bi = an[0]+1, an[1]+1
		}
		out = append(out, patience(a[ai:], b[bi:])...)
	}
	for i := len(tail) - 1; i >= 0; i-- {
		out = append(out, tail[i])
	}
	return out
}

// uniqueCommon is the longest sequence of lines that occur exactly once in
// a and once in b, in the same order in both, as index pairs.
func uniqueCommon(a, b []string) [][2]int {
	count := map[string][2]int{}
	at := map[string][2]int{}
	for i, l := range a {
		c := count[l]
		c[0]++
		count[l] = c
		p := at[l]
		p[0] = i
		at[l] = p
	}
	for j, l := range b {
		c := count[l]
		c[1]++
		count[l] = c
		p := at[l]
		p[1] = j
		at[l] = p
	}
	var pairs [][2]int // in a's order
	for i, l := range a {
		if c := count[l]; c[0] == 1 && c[1] == 1 {
			pairs = append(pairs, [2]int{i, at[l][1]})
		}
	}
	// Longest increasing subsequence of the b indices (patience sorting).
	var tops []int // index in pairs of the top card of each pile
	prev := make([]int, len(pairs))
	for k, p := range pairs {
		n := sort.Search(len(tops), func(x int) bool { return pairs[tops[x]][1] > p[1] })
		prev[k] = -1
		if n > 0 {
			prev[k] = tops[n-1]
		}
		if n == len(tops) {
			tops = append(tops, k)
		} else {
			tops[n] = k
		}
	}
	if len(tops) == 0 {
		return nil
	}
	out := make([][2]int, len(tops))
	for k, x := len(tops)-1, tops[len(tops)-1]; k >= 0; k, x = k-1, prev[x] {
		out[k] = pairs[x]
	}
	return out
}

// myers is the minimal line diff of a and b, by go-diff.
func myers(a, b []string) []line {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // deterministic: never settle for a non-minimal diff
	r1, r2, table := dmp.DiffLinesToRunes(strings.Join(a, ""), strings.Join(b, ""))
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
