package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/fixpolicy/fixpolicy/rewrite"
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
