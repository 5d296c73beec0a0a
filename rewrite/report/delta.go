package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// WriteDelta prints the access delta between the policies named oldName and
// newName (fixpolicy diff): one JSON object, or in text the classes of
// requests whose decision changes, or that the two decide alike.
func WriteDelta(w io.Writer, format, oldName, newName string, d *rewrite.DeltaResult) error {
	var err error
	switch {
	case format == "json":
		b, _ := json.Marshal(d)
		_, err = fmt.Fprintf(w, "%s\n", b)
	case d.Equivalent:
		_, err = fmt.Fprintf(w, "equivalent: %s and %s decide every request alike (%d differing statements, %d request classes compared)\n",
			oldName, newName, d.Statements, d.Requests)
	default:
		_, err = fmt.Fprintf(w, "Access changes from %s to %s (%d request classes compared):\n", oldName, newName, d.Requests)
		for _, ch := range d.Changes {
			if err == nil {
				_, err = fmt.Fprintf(w, "  - %s\n", ch)
			}
		}
	}
	return err
}

// ReadableDiff is the diff of a live bucket's policy. S3 returns a policy
// minified on one line whatever was put (GetBucketPolicy), so a plain diff
// would show the whole change as one removed and one added line of
// hundreds of characters: when before is one line, both sides are diffed
// pretty-printed (two-space indent, key order kept), and the header says
// so. What is written to S3 stays the compact patch.
func ReadableDiff(name string, before, after []byte) string {
	if bytes.Count(bytes.TrimSpace(before), []byte("\n")) > 0 {
		return udiff.Unified(name, name+" (patched)", before, after, 3)
	}
	b, errB := rewrite.Parse(before)
	a, errA := rewrite.Parse(after)
	if errB != nil || errA != nil {
		return udiff.Unified(name, name+" (patched)", before, after, 3)
	}
	pretty := func(p *rewrite.Policy) []byte { return append(jsonast.Indent(p.Root, "", "  "), '\n') }
	return udiff.Unified(name+" (pretty-printed)", name+" (patched, pretty-printed)", pretty(b), pretty(a), 3)
}
