// Package sym decides questions about sets of requests symbolically.
//
// A request is abstracted as a point of a finite product space: each
// variable takes one of a finite number of values (a principal class, an
// action class, a resource class, a region of a condition key's domain, a
// flag). A set of points is a binary decision diagram over the variables'
// binary encodings, so unions, intersections, complements, emptiness and
// inclusion are exact and cost what the diagrams' sizes cost, not what the
// number of points would: a statement with twelve condition keys of forty
// regions each is a diagram of a few hundred nodes, not 41^12 requests.
//
// The package knows nothing of policies: the caller (package rewrite) maps
// each policy element to a set by evaluating it, with the concrete
// evaluator, on one representative of each value, and maps points back to
// concrete requests that the evaluator replays.
//
// The diagrams are built by this package's own small kernel (bdd.go).
package sym

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
)

// Var is a variable of a Space, as returned by Builder.Enum.
type Var int

// A Builder declares the variables of a Space.
type Builder struct {
	specs []spec
}

type spec struct {
	name string
	n    int
}

// Enum declares a variable that takes the values 0..n-1 (n >= 1).
func (b *Builder) Enum(name string, n int) Var {
	if n < 1 {
		n = 1
	}
	b.specs = append(b.specs, spec{name, n})
	return Var(len(b.specs) - 1)
}

// Flag declares a two-valued variable (0 false, 1 true).
func (b *Builder) Flag(name string) Var { return b.Enum(name, 2) }

// maxNodes bounds a Space's diagrams; beyond it operations fail with
// ErrTooLarge rather than exhaust memory.
const maxNodes = 1 << 23

// ErrTooLarge reports that a question needs more diagram nodes than a
// Space allows.
var ErrTooLarge = errors.New("the symbolic encoding outgrew its memory bound")

// Build allocates the Space. Its operations stop with ctx's error once ctx
// is done (checked between operations).
func (b *Builder) Build(ctx context.Context) (*Space, error) {
	s := &Space{ctx: ctx}
	level := 0
	for _, sp := range b.specs {
		w := 0
		if sp.n > 1 {
			w = bits.Len(uint(sp.n - 1))
		}
		vi := varInfo{name: sp.name, n: sp.n}
		for j := 0; j < w; j++ {
			vi.levels = append(vi.levels, level)
			s.levelVar = append(s.levelVar, Var(len(s.vars)))
			level++
		}
		s.vars = append(s.vars, vi)
	}
	// Small questions are the common case: size the operation cache to the
	// number of variables (allocating it dominates small questions).
	s.k = newKernel(level, min(max(level*64, 1<<10), 1<<18))
	s.nlevels = level
	valid := s.True()
	for i := range s.vars {
		v := &s.vars[i]
		if v.n != 1<<len(v.levels) {
			valid = s.And(valid, s.In(Var(i), func(x int) bool { return x < v.n }))
		}
	}
	s.valid = valid
	return s, s.Err()
}

type varInfo struct {
	name   string
	n      int
	levels []int // most significant bit first
}

// A Space is a product of finite domains and its sets of points. It is not
// safe for concurrent use.
type Space struct {
	ctx      context.Context
	k        *kernel
	levelVar []Var // the variable each level encodes

	// hits' memo tables, by node; an entry counts when its stamp is memoGen.
	memoGen   uint32
	memoStamp []uint32
	memoVal   []bool
	seenStamp []uint32
	vars      []varInfo
	nlevels   int
	valid     Set
	err       error
	ops       uint
}

// A Set is a set of points of its Space.
type Set struct{ n int32 }

// Err returns the first error an operation met: ctx's error, or
// ErrTooLarge.
func (s *Space) Err() error {
	if s.err == nil {
		if err := s.ctx.Err(); err != nil {
			s.err = err
		} else if s.k != nil && s.k.full {
			s.err = fmt.Errorf("%w (%d nodes)", ErrTooLarge, maxNodes)
		}
	}
	return s.err
}

func (s *Space) wrap(n int32) Set {
	// Check for cancellation every few hundred operations: each is short,
	// so a cancelled context stops the work within microseconds.
	if s.ops++; s.ops&255 == 0 && s.err == nil {
		if err := s.ctx.Err(); err != nil {
			s.err = err
		}
	}
	if s.k.full && s.err == nil {
		s.err = fmt.Errorf("%w (%d nodes)", ErrTooLarge, maxNodes)
	}
	if s.err != nil {
		return Set{falseNode}
	}
	return Set{n}
}

// Vars returns the number of variables.
func (s *Space) Vars() int { return len(s.vars) }

// Size returns the number of values of v.
func (s *Space) Size(v Var) int { return s.vars[v].n }

// Name returns the name v was declared with.
func (s *Space) Name(v Var) string { return s.vars[v].name }

// Valid is the set of points whose every variable is in range.
func (s *Space) Valid() Set { return s.valid }

// True is every assignment of the variables' bits (in range or not: And it
// with Valid).
func (s *Space) True() Set { return Set{trueNode} }

// False is the empty set.
func (s *Space) False() Set { return Set{falseNode} }

// From is True for true and False for false.
func (s *Space) From(b bool) Set {
	if b {
		return s.True()
	}
	return s.False()
}

// And intersects sets.
func (s *Space) And(sets ...Set) Set { return s.fold(opAnd, trueNode, sets) }

// Or unites sets.
func (s *Space) Or(sets ...Set) Set { return s.fold(opOr, falseNode, sets) }

// fold combines sets with a commutative op, the deepest first: a set whose
// variables all lie above the result so far combines with it in time
// proportional to its own size, so conjoining n constraints on successive
// variables costs O(n), where the given order could cost O(n²).
func (s *Space) fold(op, unit int32, sets []Set) Set {
	if len(sets) > 2 {
		sets = slices.Clone(sets)
		slices.SortStableFunc(sets, func(a, b Set) int { return cmp.Compare(s.k.level(b.n), s.k.level(a.n)) })
	}
	r := unit
	for _, x := range sets {
		if s.err != nil {
			return s.False()
		}
		r = s.wrap(s.k.apply(op, r, x.n)).n
	}
	return Set{r}
}

// Not complements a set (within every assignment: And it with Valid).
func (s *Space) Not(a Set) Set {
	if s.err != nil {
		return s.False()
	}
	return s.wrap(s.k.apply(opDiff, trueNode, a.n))
}

// Minus is a without b.
func (s *Space) Minus(a, b Set) Set {
	if s.err != nil {
		return s.False()
	}
	return s.wrap(s.k.apply(opDiff, a.n, b.n))
}

// Empty reports whether a has no point. After an error it reports true:
// check Err.
func (s *Space) Empty(a Set) bool {
	return s.err != nil || a.n == falseNode
}

// Equal reports whether a and b are the same set.
func (s *Space) Equal(a, b Set) bool { return a.n == b.n }

// Eq is the set of points where v takes the value x.
func (s *Space) Eq(v Var, x int) Set {
	if s.err != nil {
		return s.False()
	}
	vi := &s.vars[v]
	if x < 0 || x >= 1<<len(vi.levels) {
		return s.False()
	}
	// Built bottom-up: a cube is one node per bit.
	res := trueNode
	for j := len(vi.levels) - 1; j >= 0; j-- {
		l := int32(vi.levels[j])
		if (x>>(len(vi.levels)-1-j))&1 == 1 {
			res = s.k.mk(l, falseNode, res)
		} else {
			res = s.k.mk(l, res, falseNode)
		}
	}
	return s.wrap(res)
}

// In is the set of points where v takes a value x (in range) with pred(x).
// It is built by halving the range, so a predicate true on runs of values
// costs a node per run boundary, not per value.
func (s *Space) In(v Var, pred func(x int) bool) Set {
	if s.err != nil {
		return s.False()
	}
	vi := &s.vars[v]
	vals := make([]bool, vi.n)
	for x := range vals {
		vals[x] = pred(x)
	}
	return s.wrap(s.inRangeOnto(vi, vals, 0, 0, trueNode))
}

// inRangeOnto builds the set for bit j onwards, for values prefix<<(w-j)
// onwards, with onto in place of true: onto must lie on levels below vi's.
func (s *Space) inRangeOnto(vi *varInfo, vals []bool, j, prefix int, onto int32) int32 {
	w := len(vi.levels)
	lo := prefix << (w - j)
	hi := min((prefix+1)<<(w-j), len(vals))
	if lo >= hi {
		return falseNode
	}
	all, none := true, true
	for x := lo; x < hi; x++ {
		if vals[x] {
			none = false
		} else {
			all = false
		}
	}
	if none {
		return falseNode
	}
	if all && hi-lo == 1<<(w-j) {
		return onto
	}
	low := s.inRangeOnto(vi, vals, j+1, prefix<<1, onto)
	high := s.inRangeOnto(vi, vals, j+1, prefix<<1|1, onto)
	// The levels below bit j all come after it, so this is a node.
	return s.k.mk(int32(vi.levels[j]), low, high)
}

// A Point gives each variable a value.
type Point []int

// Pick returns a point of a, walking one path of its diagram and
// preferring 0 at each node; bits the path leaves free are 0, so a set
// within Valid yields a valid point. It reports false for an empty set.
func (s *Space) Pick(a Set) (Point, bool) {
	if s.Empty(a) {
		return nil, false
	}
	bitsOf := make([]int, s.nlevels)
	n := a.n
	for n > trueNode {
		nd := s.k.nodes[n]
		if nd.lo != falseNode {
			n = nd.lo
			continue
		}
		bitsOf[nd.level] = 1
		n = nd.hi
	}
	p := make(Point, len(s.vars))
	for i := range s.vars {
		vi := &s.vars[i]
		x := 0
		for _, l := range vi.levels {
			x = x<<1 | bitsOf[l]
		}
		p[i] = x
	}
	return p, true
}

// Contains reports whether the point is in a.
func (s *Space) Contains(a Set, p Point) bool {
	return !s.Empty(s.And(a, s.PointSet(p)))
}

// PointSet is the set holding just p.
func (s *Space) PointSet(p Point) Set {
	b := make(Box, len(p))
	for i, x := range p {
		b[i] = []int{x}
	}
	return s.BoxSet(b)
}

// A Box is a product of value sets, one per variable (sorted values).
type Box [][]int

// BoxSet is the set of the box's points. The variables are on disjoint
// levels, so the product is built in one bottom-up pass (each variable's
// diagram placed on top of the ones below it), in nodes linear in the
// number of variables rather than one conjunction after another.
func (s *Space) BoxSet(b Box) Set {
	if s.err != nil {
		return s.False()
	}
	acc := trueNode
	for i := len(b) - 1; i >= 0; i-- {
		vi := &s.vars[i]
		if len(b[i]) == vi.n || len(vi.levels) == 0 {
			continue
		}
		vals := make([]bool, vi.n)
		for _, x := range b[i] {
			if x >= 0 && x < vi.n {
				vals[x] = true
			}
		}
		acc = s.inRangeOnto(vi, vals, 0, 0, acc)
	}
	return s.And(s.wrap(acc), s.valid)
}

// Generalize grows the point p of a into a box within a: taking the
// variables in order, each is widened to every value that keeps the box
// (as widened so far) inside a. Variables not in order stay at p's value.
func (s *Space) Generalize(p Point, a Set, order []Var) Box {
	box := make(Box, len(p))
	for i, x := range p {
		box[i] = []int{x}
	}
	outside := s.Minus(s.valid, a)
	for _, v := range order {
		vi := &s.vars[v]
		if vi.n == 1 || s.err != nil {
			continue
		}
		// The values of v for which some point of the box falls outside a.
		bad := s.hits(outside.n, box, v)
		var keep []int
		for x := 0; x < vi.n; x++ {
			if !bad[x] {
				keep = append(keep, x)
			}
		}
		if len(keep) > 0 {
			box[v] = keep
		}
	}
	return box
}

// hits returns, for each value x of v, whether some point of the box with
// v = x (the box's other variables as they are) lies in the set n. It walks
// the diagram without building one, so a generalization costs no nodes.
func (s *Space) hits(n int32, box Box, v Var) []bool {
	out := make([]bool, s.vars[v].n)
	// follow descends through w's levels along the bits of x.
	follow := func(n int32, w Var, x int) int32 {
		lv := s.vars[w].levels
		for j, l := range lv {
			if n > trueNode && s.k.nodes[n].level == int32(l) {
				if (x>>(len(lv)-1-j))&1 == 1 {
					n = s.k.nodes[n].hi
				} else {
					n = s.k.nodes[n].lo
				}
			}
		}
		return n
	}
	// reach: some completion within the box of the variables from n's
	// down leads to true.
	// Memo tables indexed by node, reset by bumping a generation.
	s.memoGen += 2
	if len(s.memoStamp) < len(s.k.nodes) {
		s.memoStamp = make([]uint32, len(s.k.nodes)*2)
		s.memoVal = make([]bool, len(s.k.nodes)*2)
		s.seenStamp = make([]uint32, len(s.k.nodes)*2)
		s.memoGen = 2
	}
	gen := s.memoGen
	var reach func(n int32) bool
	reach = func(n int32) bool {
		if n <= trueNode {
			return n == trueNode
		}
		if s.memoStamp[n] == gen {
			return s.memoVal[n]
		}
		w := s.levelVar[s.k.nodes[n].level]
		r := false
		for _, x := range box[w] {
			if reach(follow(n, w, x)) {
				r = true
				break
			}
		}
		s.memoStamp[n], s.memoVal[n] = gen, r
		return r
	}
	var collect func(n int32)
	collect = func(n int32) {
		if n == falseNode || s.seenStamp[n] == gen {
			return
		}
		s.seenStamp[n] = gen
		w := v + 1 // true: every variable skipped, v's too
		if n > trueNode {
			w = s.levelVar[s.k.nodes[n].level]
		}
		switch {
		case w < v:
			for _, x := range box[w] {
				collect(follow(n, w, x))
			}
		case w == v:
			for x := range out {
				if !out[x] && reach(follow(n, v, x)) {
					out[x] = true
				}
			}
		default: // v's levels skipped: every value alike
			if reach(n) {
				for x := range out {
					out[x] = true
				}
			}
		}
	}
	collect(n)
	return out
}

// Classes partitions a (within Valid) into boxes: it picks a point not yet
// covered, generalizes it within what is not yet covered, and repeats. The
// boxes are disjoint, each lies within a, and their union is a, unless
// limit (> 0) boxes were found first: then rest is what they leave
// uncovered (else rest is empty).
func (s *Space) Classes(a Set, order []Var, limit int) (boxes []Box, points []Point, rest Set, err error) {
	rest = s.And(a, s.valid)
	for !s.Empty(rest) {
		if err := s.Err(); err != nil {
			return nil, nil, rest, err
		}
		if limit > 0 && len(boxes) == limit {
			return boxes, points, rest, nil
		}
		p, ok := s.Pick(rest)
		if !ok {
			break
		}
		b := s.Generalize(p, rest, order)
		boxes = append(boxes, b)
		points = append(points, p)
		rest = s.Minus(rest, s.BoxSet(b))
	}
	return boxes, points, s.False(), s.Err()
}

// Bounds is the smallest box that holds a: each variable's values that
// some point of a takes.
func (s *Space) Bounds(a Set) Box {
	all := make(Box, len(s.vars))
	for i := range s.vars {
		for x := 0; x < s.vars[i].n; x++ {
			all[i] = append(all[i], x)
		}
	}
	out := make(Box, len(s.vars))
	for i := range s.vars {
		for x, in := range s.hits(a.n, all, Var(i)) {
			if in {
				out[i] = append(out[i], x)
			}
		}
	}
	return out
}

// Count returns the number of valid points in a.
func (s *Space) Count(a Set) *big.Int {
	a = s.And(a, s.valid)
	if s.err != nil {
		return new(big.Int)
	}
	return s.k.satcount(a.n)
}
