package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// maxIntern bounds the strings the fast decoder keeps for reuse.
const maxIntern = 4096

// decode reads one request line: the fast decoder when it can, else
// decodeRequest (encoding/json), which also words the errors. The request's
// context map is reused by the next call; Reset copies what it keeps.
func (s *Simulator) decode(b []byte) (rewrite.Request, error) {
	clear(s.ctx)
	d := fastDecoder{b: b, s: s}
	if req, ok := d.request(); ok {
		return req, nil
	}
	return decodeRequest(b)
}

func (s *Simulator) str(b []byte) string {
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(s.intern) < maxIntern {
		s.intern[v] = v
	}
	return v
}

// fastDecoder reads the common form of a request line without reflection:
// an object with the members principal, action, resource (strings) and
// context (an object of strings or arrays of strings), each at most once,
// strings of printable ASCII without escapes. Anything else (escapes,
// non-ASCII, numbers, other member spellings, errors) is left to
// decodeRequest: request gives ok=false and decodeRequest decides, so the
// fast path accepts only lines that encoding/json reads the same way
// (FuzzSimulateDecode checks it).
type fastDecoder struct {
	b []byte
	i int
	s *Simulator
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) byte(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (d *fastDecoder) str() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

func (d *fastDecoder) request() (rewrite.Request, bool) {
	var req rewrite.Request
	var seen [4]bool
	if !d.byte('{') {
		return req, false
	}
	if d.byte('}') {
		return req, false // missing members: decodeRequest says which
	}
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return req, false
		}
		var dst *string
		k := 0
		switch string(key) {
		case "principal":
			dst, k = &req.Principal, 0
		case "action":
			dst, k = &req.Action, 1
		case "resource":
			dst, k = &req.Resource, 2
		case "context":
			if seen[3] || !d.context() {
				return req, false
			}
			seen[3] = true
			req.Context = d.s.ctx
		default:
			return req, false
		}
		if dst != nil {
			v, ok := d.str()
			if !ok || seen[k] {
				return req, false
			}
			seen[k] = true
			*dst = d.s.str(v)
		}
		if d.byte(',') {
			continue
		}
		if !d.byte('}') {
			return req, false
		}
		break
	}
	d.ws()
	if d.i != len(d.b) || !seen[0] || !seen[1] || !seen[2] || req.Principal == "" || req.Action == "" || req.Resource == "" {
		return req, false
	}
	return req, true
}

func (d *fastDecoder) context() bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	for {
		kb, ok := d.str()
		if !ok || !d.byte(':') {
			return false
		}
		k := d.s.str(kb)
		if _, dup := d.s.ctx[k]; dup {
			return false
		}
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == '[' {
			d.i++
			vals := []string{}
			if !d.byte(']') {
				for {
					v, ok := d.str()
					if !ok {
						return false
					}
					vals = append(vals, string(v))
					if d.byte(',') {
						continue
					}
					if !d.byte(']') {
						return false
					}
					break
				}
			}
			d.s.ctx[k] = vals
		} else {
			v, ok := d.str()
			if !ok {
				return false
			}
			d.s.ctx[k] = []string{string(v)}
		}
		if d.byte(',') {
			continue
		}
		return d.byte('}')
	}
}

type requestLine struct {
	Principal *string                    `json:"principal"`
	Action    *string                    `json:"action"`
	Resource  *string                    `json:"resource"`
	Context   map[string]json.RawMessage `json:"context"`
}

var errContextValue = errors.New("must be a string or an array of strings")

// contextValues reads a context value: a string or an array of strings (a
// multivalued key). JSON numbers and booleans are taken as their text, as in
// policies; null and objects are refused.
func contextValues(b []byte) ([]string, error) {
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(raw))
		for _, r := range raw {
			s, ok := scalarText(r)
			if !ok {
				return nil, errContextValue
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalarText(b)
	if !ok {
		return nil, errContextValue
	}
	return []string{s}, nil
}

func scalarText(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", false
	}
	switch c := b[0]; {
	case c == '"':
		if bytes.IndexByte(b[1:], '\\') < 0 && bytes.IndexByte(b[1:], '"') == len(b)-2 && utf8.Valid(b) {
			return string(b[1 : len(b)-1]), true // no escapes: the common case
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false
		}
		return s, true
	case c == 't' || c == 'f':
		return string(b), string(b) == "true" || string(b) == "false"
	case c == '-' || c >= '0' && c <= '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

// decodeRequest reads one request line.
func decodeRequest(b []byte) (rewrite.Request, error) {
	var raw requestLine
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field == "":
			return rewrite.Request{}, fmt.Errorf("not a request: a request line is a JSON object, not %s", jsonKind(ute.Value))
		case errors.As(err, &ute):
			return rewrite.Request{}, fmt.Errorf("%q must be %s, not %s", ute.Field, map[bool]string{true: "an object of context keys", false: "a string"}[ute.Field == "context"], jsonKind(ute.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return rewrite.Request{}, fmt.Errorf("%s (a request has principal, action, resource and context)", strings.TrimPrefix(err.Error(), "json: "))
		}
		return rewrite.Request{}, fmt.Errorf("not JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return rewrite.Request{}, fmt.Errorf("not JSON Lines: more than one JSON value on the line")
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"principal", raw.Principal}, {"action", raw.Action}, {"resource", raw.Resource}} {
		if f.v == nil || *f.v == "" {
			missing = append(missing, `"`+f.name+`"`)
		}
	}
	if len(missing) > 0 {
		return rewrite.Request{}, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	req := rewrite.Request{Principal: *raw.Principal, Action: *raw.Action, Resource: *raw.Resource}
	if len(raw.Context) > 0 {
		req.Context = make(map[string][]string, len(raw.Context))
		for k, v := range raw.Context {
			vals, err := contextValues(v)
			if err != nil {
				return rewrite.Request{}, fmt.Errorf("context %q %v", k, errContextValue)
			}
			req.Context[k] = vals
		}
	}
	return req, nil
}

func jsonKind(v string) string {
	switch v {
	case "string", "number", "bool", "array", "object":
		return map[string]string{"string": "a string", "number": "a number", "bool": "a boolean", "array": "an array", "object": "an object"}[v]
	}
	return v
}

// writeSimText writes the readable verdict: the decision, the deciding
