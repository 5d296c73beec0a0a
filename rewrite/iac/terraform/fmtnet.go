package terraform

import (
	"bytes"
	"sort"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// The editors lay out new text the way terraform fmt does; fmtRepair is
// the safety net for what they do not model (trailing comments aligned
// across lines, unusual layouts). When the file was fmt-clean and the
// edited file is not, the lines terraform fmt would change are rewritten
// as it would write them: whole lines, only where they differ, merged
// with the splices that touch them.

// fmtClean reports (once) whether the file is as terraform fmt writes it.
func (f *file) fmtClean() bool {
	f.fmtOnce.Do(func() { f.clean = !f.template && bytes.Equal(hclwrite.Format(f.src), f.src) })
	return f.clean
}

// span is a stretch of the edited text: src[s0:s1] became r[r0:r1],
// verbatim or by splice k (-1: verbatim).
type span struct {
	r0, r1, s0, s1, k int
}

func (f *file) fmtRepair(sp []iac.Splice) []iac.Splice {
	if len(sp) == 0 || !f.fmtClean() {
		return sp
	}
	sp = uniqueSorted(sp)
	r, err := iac.ApplySplices(f.src, sp)
	if err != nil {
		return sp
	}
	fr := hclwrite.Format(r)
	if bytes.Equal(fr, r) {
		return sp
	}
	rl, fl := lineStarts(r), lineStarts(fr)
	if len(rl) != len(fl) {
		return sp
	}
	var ps []span
	at, rpos := 0, 0
	for k, s := range sp {
		if s.Start > at {
			ps = append(ps, span{rpos, rpos + s.Start - at, at, s.Start, -1})
			rpos += s.Start - at
		}
		ps = append(ps, span{rpos, rpos + len(s.Text), s.Start, s.End, k})
		rpos += len(s.Text)
		at = s.End
	}
	ps = append(ps, span{rpos, rpos + len(f.src) - at, at, len(f.src), -1})
	line := func(off int) int { return sort.Search(len(rl), func(i int) bool { return rl[i] > off }) - 1 }
	lineText := func(starts []int, b []byte, i int) []byte {
		if i+1 < len(starts) {
			return b[starts[i]:starts[i+1]]
		}
		return b[starts[i]:]
	}
	inRegion := map[int]bool{}
	var out []iac.Splice
	for i := 0; i < len(rl); i++ {
		if bytes.Equal(lineText(rl, r, i), lineText(fl, fr, i)) {
			continue
		}
		// Grow [i, j] over the lines of every splice it touches.
		j := i
		for changed := true; changed; {
			changed = false
			for _, p := range ps {
				if p.k < 0 || inRegion[p.k] {
					continue
				}
				lo, hi := line(p.r0), line(max(p.r0, p.r1-1))
				if hi >= i && lo <= j {
					i, j = min(i, lo), max(j, hi)
					inRegion[p.k] = true
					changed = true
				}
			}
		}
		rs, re := rl[i], len(r)
		fs, fe := fl[i], len(fr)
		if j+1 < len(rl) {
			re, fe = rl[j+1], fl[j+1]
		}
		out = append(out, iac.Splice{Start: srcAt(ps, rs, false), End: srcAt(ps, re, true), Text: string(fr[fs:fe])})
		i = j
	}
	for k, s := range sp {
		if !inRegion[k] {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	return out
}

// srcAt maps an offset of the edited text that lies in verbatim text or
// at a splice's edge back to the source.
func srcAt(ps []span, off int, end bool) int {
	for _, p := range ps {
		switch {
		case p.k < 0 && off >= p.r0 && off <= p.r1:
			return p.s0 + off - p.r0
		case p.k >= 0 && off == p.r0 && !end:
			return p.s0
		case p.k >= 0 && off == p.r1 && end:
			return p.s1
		}
	}
	return ps[len(ps)-1].s1
}

func lineStarts(b []byte) []int {
	out := []int{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			out = append(out, i+1)
		}
	}
	return out
}

// uniqueSorted sorts splices by position and drops repeats.
func uniqueSorted(sp []iac.Splice) []iac.Splice {
	sp = append([]iac.Splice(nil), sp...)
	sort.SliceStable(sp, func(i, j int) bool {
		if sp[i].Start != sp[j].Start {
			return sp[i].Start < sp[j].Start
		}
		return sp[i].End < sp[j].End
	})
	out := sp[:0]
	for i, s := range sp {
		if i > 0 && s == sp[i-1] {
			continue
		}
		out = append(out, s)
	}
	return out
}
