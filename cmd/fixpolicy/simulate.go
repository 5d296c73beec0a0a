package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

func simulateCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "decide requests against a bucket policy, as AWS does",
		UsageText: `fixpolicy simulate --policy-file PATH [--account-id ID] --requests FILE.jsonl [-o json]
   fixpolicy simulate --policy-file PATH [--account-id ID] --principal ARN --action A --resource R [--context key=value ...]

Each request line is {"principal": ARN, "action": "s3:GetObject", "resource": ARN, "context": {"aws:SourceIp": "…"}};
context values are strings or arrays of strings (an array is a multivalued key, e.g. aws:TagKeys).
The answer for each is deny (a Deny statement matches), allow (no Deny matches and the policy itself
grants it) or none (the caller's IAM policies decide). With -o json, one JSON line per request, in order:
{"decision": "deny", "statements": [{"index": 0, "sid": "…"}]} (0-based statement indexes), or
{"error": "line N: …"} for a request that cannot be decided; the run goes on, and exits 1 at the end.
A key given several times with --context is multivalued; values are taken as given (commas included).

Examples:
   fixpolicy simulate --policy-file policy.json --principal arn:aws:iam::012345678901:user/alice \
       --action s3:GetObject --resource arn:aws:s3:::my-bucket/report.csv --context aws:SourceVpce=vpce-1a2b3c4d
   fixpolicy simulate --policy-file policy.json --account-id 012345678901 --requests requests.jsonl -o json
   generate-requests | fixpolicy simulate --policy-file policy.json --requests - -o json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy-file", Usage: "the bucket policy to evaluate (- for standard input)", Required: true},
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's account: an Allow that names only this account delegates to its principals' IAM policies"},
			&cli.StringFlag{Name: "requests", Usage: "JSON Lines file of requests, one per line (- for standard input)"},
			&cli.StringFlag{Name: "principal", Usage: "the caller: an IAM/STS ARN, a service principal such as backup.amazonaws.com, or anonymous"},
			&cli.StringFlag{Name: "action", Usage: "the action, e.g. s3:GetObject"},
			&cli.StringFlag{Name: "resource", Usage: "the resource ARN, e.g. arn:aws:s3:::my-bucket/key"},
			&cli.GenericFlag{Name: "context", Value: &contextFlag{}, Usage: "a context key and value, key=value; repeat a key for several values (--context aws:TagKeys=a --context aws:TagKeys=b)"},
			outputFlag("text or json"),
		}, awsFlags()...),
		Action: func(c *cli.Context) error { return simulateAction(c, std) },
	}
}

// contextFlag collects --context key=value flags in order. Unlike a string
// slice flag it does not split values at commas: values are taken as given.
type contextFlag struct{ kv []string }

func (f *contextFlag) Set(s string) error { f.kv = append(f.kv, s); return nil }
func (f *contextFlag) String() string     { return strings.Join(f.kv, " ") }

// maxLine bounds one request line; a longer line is reported as an error
// line and skipped, so memory stays bounded whatever the input.
const maxLine = 1 << 20

func simulateAction(c *cli.Context, std stdio) error {
	if c.Args().Present() {
		return fail("simulate: unexpected argument %q (the policy is given with --policy-file, requests with --requests or --principal/--action/--resource)", c.Args().First())
	}
	format := inherited(c, "output")
	if format != "text" && format != "json" {
		return fail("simulate: -o %q is not an output format (use text or json)", format)
	}
	owner := inherited(c, "account-id")
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return err
	}
	var kv []string
	if f, ok := c.Generic("context").(*contextFlag); ok && f != nil {
		kv = f.kv
	}
	single := c.IsSet("principal") || c.IsSet("action") || c.IsSet("resource") || len(kv) > 0
	path, reqPath := c.String("policy-file"), c.String("requests")
	switch {
	case single && reqPath != "":
		return fail("simulate: give either --requests or --principal/--action/--resource, not both")
	case !single && reqPath == "":
		return fail("simulate: give --requests FILE.jsonl, or --principal, --action and --resource")
	case path == "-" && reqPath == "-":
		return fail("simulate: --policy-file - and --requests - cannot both read standard input")
	}
	var req rewrite.Request
	if single {
		var missing []string
		for _, f := range []string{"principal", "action", "resource"} {
			if c.String(f) == "" {
				missing = append(missing, "--"+f)
			}
		}
		if len(missing) > 0 {
			return fail("simulate: a single request needs --principal, --action and --resource (missing %s)", strings.Join(missing, ", "))
		}
		req = rewrite.Request{Principal: c.String("principal"), Action: c.String("action"), Resource: c.String("resource")}
		for _, s := range kv {
			k, v, ok := strings.Cut(s, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return fail("--context %q is not key=value (e.g. --context aws:SourceIp=192.0.2.10)", s)
			}
			if req.Context == nil {
				req.Context = map[string][]string{}
			}
			req.Context[k] = append(req.Context[k], v)
		}
	}

	pol, err := readPolicy(std, path)
	if err != nil {
		return err
	}

	w := bufio.NewWriterSize(std.out, 64<<10)
	sim := newSimulator(pol, owner, format == "json", w)
	if single {
		if err := sim.er.Reset(req); err != nil {
			return fail("simulate: %v", err)
		}
		sim.emit(0, &req)
		if err := w.Flush(); err != nil {
			return fail("simulate: writing the result: %v", err)
		}
		return nil
	}

	var in io.Reader
	if reqPath == "-" {
		if std.in == nil {
			return fail("--requests -: no standard input")
		}
		in = std.in
	} else {
		f, err := os.Open(reqPath)
		if err != nil {
			return fail("--requests %s: %v", reqPath, unwrapPathError(err))
		}
		defer f.Close()
		in = f
	}
	n, bad, err := sim.stream(in)
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing the results: %v", ferr)
	}
	if err != nil {
		return fail("simulate: --requests %s: %v", reqPath, err)
	}
	if bad > 0 {
		return fail("simulate: %d of %d requests could not be decided (their output lines say why)", bad, n)
	}
	return nil
}

// inherited is the value of a flag the command shares with the top level
// (-o, --account-id): the command's own when set, else one given before the
// command name (fixpolicy -o json simulate ...), else the command's default.
func inherited(c *cli.Context, name string) string {
	for _, lc := range c.Lineage() {
		if lc.IsSet(name) {
			return lc.String(name)
		}
	}
	return c.String(name)
}

// simulator decides requests one after another with constant memory: one
// EvalRequest is reused for every request, output is written as it comes.
type simulator struct {
	pol   *rewrite.Policy
	owner string
	json  bool
	w     *bufio.Writer
	er    rewrite.EvalRequest
	frag  [][]byte // JSON of each statement in "statements": {"index":N,"sid":"…"}
	line  []byte   // output line being built
	long  []byte   // an input line longer than the reader's buffer

	ctx    map[string][]string // the context of the last request decoded, reused
	intern map[string]string   // principals, actions and context keys seen
}

// maxIntern bounds the strings the fast decoder keeps for reuse.
const maxIntern = 4096

// decode reads one request line: the fast decoder when it can, else
// decodeRequest (encoding/json), which also words the errors. The request's
// context map is reused by the next call; Reset copies what it keeps.
func (s *simulator) decode(b []byte) (rewrite.Request, error) {
	clear(s.ctx)
	d := fastDecoder{b: b, s: s}
	if req, ok := d.request(); ok {
		return req, nil
	}
	return decodeRequest(b)
}

func (s *simulator) str(b []byte) string {
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
	s *simulator
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

func newSimulator(p *rewrite.Policy, owner string, asJSON bool, w *bufio.Writer) *simulator {
	s := &simulator{pol: p, owner: owner, json: asJSON, w: w, ctx: map[string][]string{}, intern: map[string]string{}}
	for _, st := range p.Statements {
		b := []byte(`{"index":` + strconv.Itoa(st.Index))
		if st.Sid != "" {
			b = append(b, `,"sid":`...)
			b = appendJSONString(b, st.Sid)
		}
		s.frag = append(s.frag, append(b, '}'))
	}
	return s
}

// stream decides every request line of in, writing one result per
// non-blank line. It returns the number of requests (non-blank lines), how
// many of them were errors, and a read error.
func (s *simulator) stream(in io.Reader) (n, bad int, err error) {
	rd := bufio.NewReaderSize(in, 64<<10)
	for lineNo := 1; ; lineNo++ {
		b, tooLong, rerr := s.readLine(rd)
		if rerr != nil && rerr != io.EOF {
			return n, bad, fmt.Errorf("line %d: %v", lineNo, rerr)
		}
		if lineNo == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
		}
		b = bytes.TrimSpace(b)
		if len(b) > 0 || tooLong {
			n++
			var req rewrite.Request
			var derr error
			if tooLong {
				derr = fmt.Errorf("the line is longer than %d bytes", maxLine)
			} else if req, derr = s.decode(b); derr == nil {
				derr = s.er.Reset(req)
			}
			if derr != nil {
				bad++
				s.emitError(fmt.Sprintf("line %d: %v", lineNo, derr))
			} else {
				s.emit(lineNo, &req)
			}
		}
		if _, werr := s.w.Write(nil); werr != nil {
			return n, bad, fmt.Errorf("writing the results: %v", werr) // bufio.Writer's errors stick
		}
		if rerr == io.EOF {
			return n, bad, nil
		}
	}
}

// readLine returns the next line without its newline; the bytes are valid
// until the next call. A line longer than maxLine is skipped (tooLong).
func (s *simulator) readLine(rd *bufio.Reader) (line []byte, tooLong bool, err error) {
	b, err := rd.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return bytes.TrimSuffix(b, []byte{'\n'}), false, err
	}
	s.long = append(s.long[:0], b...)
	for err == bufio.ErrBufferFull {
		b, err = rd.ReadSlice('\n')
		if !tooLong {
			s.long = append(s.long, b...)
			if len(s.long) > maxLine {
				tooLong, s.long = true, s.long[:0]
			}
		}
	}
	if tooLong {
		return nil, true, err
	}
	return bytes.TrimSuffix(s.long, []byte{'\n'}), false, err
}

// emit decides the prepared request (s.er) and writes the result; lineNo is
// 0 for a single request given by flags.
func (s *simulator) emit(lineNo int, req *rewrite.Request) {
	out := s.pol.Decide(&s.er, s.owner)
	if !s.json {
		writeSimText(s.w, s.pol, &s.er, s.owner, out, req, lineNo)
		return
	}
	b := append(s.line[:0], `{"decision":"`...)
	b = append(b, out.Decision...)
	b = append(b, `","statements":[`...)
	for i, idx := range out.Statements {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, s.frag[idx]...)
	}
	b = append(b, "]}\n"...)
	s.w.Write(b)
	s.line = b
}

func (s *simulator) emitError(msg string) {
	if !s.json {
		fmt.Fprintf(s.w, "error: %s\n", oneLine(msg))
		return
	}
	b := append(s.line[:0], `{"error":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}\n"...)
	s.w.Write(b)
	s.line = b
}

// appendJSONString appends s as a JSON string (encoding/json's escaping).
func appendJSONString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// requestLine is the JSON form of a request line.
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
// statements, and for each statement why it matches or not.
func writeSimText(w io.Writer, p *rewrite.Policy, er *rewrite.EvalRequest, owner string, out rewrite.Outcome, req *rewrite.Request, lineNo int) {
	prefix := ""
	if lineNo > 0 {
		prefix = fmt.Sprintf("line %d: ", lineNo)
	}
	fmt.Fprintf(w, "%s%s: %s %s on %s\n", prefix, strings.ToUpper(string(out.Decision)), req.Principal, req.Action, req.Resource)
	labels := make([]string, len(out.Statements))
	for i, idx := range out.Statements {
		labels[i] = p.Statements[idx].Label()
	}
	switch out.Decision {
	case rewrite.Deny:
		fmt.Fprintf(w, "  denied by %s\n", strings.Join(labels, ", "))
	case rewrite.Allow:
		fmt.Fprintf(w, "  allowed by %s\n", strings.Join(labels, ", "))
	default:
		fmt.Fprintf(w, "  no statement decides: the caller's own IAM policies do\n")
	}
	for _, e := range p.ExplainFor(er, owner) {
		mark := "no match"
		switch {
		case e.Decides:
			mark = "DECIDES"
		case e.Matched:
			mark = "matches"
		}
		fmt.Fprintf(w, "  %s, %s, %s: %s\n", p.Statements[e.Statement].Label(), e.Effect, mark, e.Reason)
	}
}
