package sym

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
)

// space builds a Space with the given variable sizes.
func space(t testing.TB, sizes ...int) (*Space, []Var) {
	t.Helper()
	var b Builder
	var vs []Var
	for i, n := range sizes {
		vs = append(vs, b.Enum(string(rune('a'+i)), n))
	}
	s, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, vs
}

// points lists every valid point of the space.
func points(s *Space) []Point {
	out := []Point{{}}
	for i := range s.vars {
		var next []Point
		for _, p := range out {
			for x := 0; x < s.vars[i].n; x++ {
				q := append(append(Point{}, p...), x)
				next = append(next, q)
			}
		}
		out = next
	}
	return out
}

// randomSet builds a set from random In/And/Or/Not operations and the
// predicate it stands for, evaluated point by point.
func randomSet(r *rand.Rand, s *Space, vs []Var, depth int) (Set, func(Point) bool) {
	if depth == 0 || r.IntN(3) == 0 {
		v := vs[r.IntN(len(vs))]
		in := map[int]bool{}
		for x := 0; x < s.Size(v); x++ {
			if r.IntN(2) == 0 {
				in[x] = true
			}
		}
		return s.In(v, func(x int) bool { return in[x] }), func(p Point) bool { return in[p[v]] }
	}
	a, fa := randomSet(r, s, vs, depth-1)
	b, fb := randomSet(r, s, vs, depth-1)
	switch r.IntN(4) {
	case 0:
		return s.And(a, b), func(p Point) bool { return fa(p) && fb(p) }
	case 1:
		return s.Or(a, b), func(p Point) bool { return fa(p) || fb(p) }
	case 2:
		return s.Minus(a, b), func(p Point) bool { return fa(p) && !fb(p) }
	}
	return s.And(s.Valid(), s.Not(a)), func(p Point) bool { return !fa(p) }
}

// TestAgainstEnumeration checks every operation against the points it
// stands for, on random spaces small enough to enumerate, including sizes
// that are not powers of two (so Valid matters).
func TestAgainstEnumeration(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		nv := 1 + r.IntN(4)
		sizes := make([]int, nv)
		for i := range sizes {
			sizes[i] = 1 + r.IntN(7)
		}
		s, vs := space(t, sizes...)
		set, pred := randomSet(r, s, vs, 3)
		set = s.And(set, s.Valid())
		all := points(s)
		want := 0
		for _, p := range all {
			in := pred(p)
			if in {
				want++
			}
			if got := s.Contains(set, p); got != in {
				t.Fatalf("round %d sizes %v: Contains(%v) = %v, want %v", round, sizes, p, got, in)
			}
		}
		if got := s.Count(set).Int64(); got != int64(want) {
			t.Fatalf("round %d sizes %v: Count = %d, want %d", round, sizes, got, want)
		}
		if s.Empty(set) != (want == 0) {
			t.Fatalf("round %d: Empty = %v with %d points", round, s.Empty(set), want)
		}
		if p, ok := s.Pick(set); ok != (want > 0) || ok && !pred(p) {
			t.Fatalf("round %d: Pick = %v, %v", round, p, ok)
		}
		// Classes: disjoint boxes inside the set whose union is the set.
		boxes, pts, _, err := s.Classes(set, vs, 0)
		if err != nil {
			t.Fatal(err)
		}
		covered := map[string]int{}
		for i, b := range boxes {
			if !s.Contains(s.BoxSet(b), pts[i]) {
				t.Fatalf("round %d: box %v does not hold its point %v", round, b, pts[i])
			}
			for _, p := range all {
				if s.Contains(s.BoxSet(b), p) {
					if !pred(p) {
						t.Fatalf("round %d: box %v holds %v outside the set", round, b, p)
					}
					covered[fmtPoint(p)]++
				}
			}
		}
		for _, p := range all {
			n := covered[fmtPoint(p)]
			if pred(p) && n != 1 || !pred(p) && n != 0 {
				t.Fatalf("round %d: point %v covered %d times (in set: %v)", round, p, n, pred(p))
			}
		}
		// With a limit: the boxes and the rest still make up the set.
		lboxes, _, rest, err := s.Classes(set, vs, 1)
		if err != nil {
			t.Fatal(err)
		}
		union := rest
		for _, b := range lboxes {
			union = s.Or(union, s.BoxSet(b))
		}
		if !s.Equal(union, set) {
			t.Fatalf("round %d: %d boxes and the rest do not make up the set", round, len(lboxes))
		}
		// Bounds: exactly the values some point of the set takes.
		bounds := s.Bounds(set)
		for i, v := range vs {
			took := map[int]bool{}
			for _, p := range all {
				if pred(p) {
					took[p[v]] = true
				}
			}
			if len(bounds[i]) != len(took) {
				t.Fatalf("round %d: Bounds of variable %d = %v, want the values %v", round, i, bounds[i], took)
			}
			for _, x := range bounds[i] {
				if !took[x] {
					t.Fatalf("round %d: Bounds of variable %d has %d", round, i, x)
				}
			}
		}
	}
}

func fmtPoint(p Point) string {
	b := make([]byte, len(p))
	for i, x := range p {
		b[i] = byte('0' + x)
	}
	return string(b)
}

// TestGeneralizeWidensToBoxes: a product set is found as one box.
func TestGeneralizeWidensToBoxes(t *testing.T) {
	s, vs := space(t, 41, 41, 41, 41)
	var parts []Set
	for _, v := range vs {
		parts = append(parts, s.In(v, func(x int) bool { return x%3 != 0 }))
	}
	set := s.And(parts...)
	boxes, _, _, err := s.Classes(set, vs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 1 {
		t.Fatalf("%d boxes, want 1", len(boxes))
	}
	for i, vals := range boxes[0] {
		if len(vals) != 27 {
			t.Errorf("variable %d: %d values, want 27", i, len(vals))
		}
	}
}

// TestManyKeysStaySmall: twelve keys of forty regions each (41^12 points)
// are decided without enumerating them.
func TestManyKeysStaySmall(t *testing.T) {
	sizes := make([]int, 12)
	for i := range sizes {
		sizes[i] = 41
	}
	s, vs := space(t, sizes...)
	var a, b []Set
	for i, v := range vs {
		a = append(a, s.In(v, func(x int) bool { return x != 0 }))
		b = append(b, s.In(v, func(x int) bool { return x != 0 && (i != 7 || x != 5) }))
	}
	diff := s.Minus(s.And(a...), s.And(b...))
	if s.Empty(diff) {
		t.Fatal("difference not found")
	}
	boxes, _, _, err := s.Classes(diff, vs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 1 || len(boxes[0][7]) != 1 || boxes[0][7][0] != 5 {
		t.Fatalf("boxes %v, want one box with variable 7 = 5", boxes)
	}
}

// TestCancel: a cancelled context stops the work with its error.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var b Builder
	v := b.Enum("v", 1000)
	s, err := b.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for i := 0; i < 1000 && s.Err() == nil; i++ {
		s.Or(s.Eq(v, i), s.Eq(v, (i+1)%1000))
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", s.Err())
	}
}
