// Package simulate decides requests against a bucket policy, as AWS does,
// one after another: a single request, or a stream of JSON Lines requests
// read from an io.Reader, with the verdicts written to an io.Writer as text
// or JSON Lines. Memory stays constant whatever the length of the stream.
//
// The decisions are package rewrite's (Policy.Decide, Policy.ExplainFor);
// this package reads the requests and writes the verdicts.
package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

// MaxLine bounds one request line; a longer line is reported as an error
// line and skipped, so memory stays bounded whatever the input.
const MaxLine = 1 << 20

// Simulator decides requests one after another with constant memory: one
// EvalRequest is reused for every request, output is written as it comes.
type Simulator struct {
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

// New returns a Simulator that decides requests against p for the bucket
// owner's account owner ("" when unknown) and writes one verdict per request
// to w, as JSON Lines when asJSON is set, else as readable text. Output is
// buffered: call Flush at the end.
func New(p *rewrite.Policy, owner string, asJSON bool, w io.Writer) *Simulator {
	s := &Simulator{pol: p, owner: owner, json: asJSON, w: bufio.NewWriterSize(w, 64<<10), ctx: map[string][]string{}, intern: map[string]string{}}
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

// Stream decides every request line of in, writing one result per
// non-blank line; a line that cannot be decided gets an error result in its
// place and the stream goes on. It returns the number of requests
// (non-blank lines), how many of them were errors, and a read or write
// error, which stops it.
func (s *Simulator) Stream(in io.Reader) (n, bad int, err error) {
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
				derr = fmt.Errorf("the line is longer than %d bytes", MaxLine)
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
// until the next call. A line longer than MaxLine is skipped (tooLong).
func (s *Simulator) readLine(rd *bufio.Reader) (line []byte, tooLong bool, err error) {
	b, err := rd.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return bytes.TrimSuffix(b, []byte{'\n'}), false, err
	}
	s.long = append(s.long[:0], b...)
	for err == bufio.ErrBufferFull {
		b, err = rd.ReadSlice('\n')
		if !tooLong {
			s.long = append(s.long, b...)
			if len(s.long) > MaxLine {
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
func (s *Simulator) emit(lineNo int, req *rewrite.Request) {
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

func (s *Simulator) emitError(msg string) {
	if !s.json {
		fmt.Fprintf(s.w, "error: %s\n", strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " "))
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

// Decide decides one request (given by flags rather than read from a
// stream) and writes its verdict; the error says why the request cannot be
// decided (a malformed principal, action or resource).
func (s *Simulator) Decide(req rewrite.Request) error {
	if err := s.er.Reset(req); err != nil {
		return err
	}
	s.emit(0, &req)
	return nil
}

// ParseContext reads context values given as key=value pairs (the
// command's --context flags), in order: a key given several times is
// multivalued, and values are taken as given, commas and '=' included. It
// returns nil for no pairs.
func ParseContext(kv []string) (map[string][]string, error) {
	var ctx map[string][]string
	for _, s := range kv {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%q is not key=value", s)
		}
		if ctx == nil {
			ctx = map[string][]string{}
		}
		ctx[k] = append(ctx[k], v)
	}
	return ctx, nil
}

// Flush writes out what is buffered.
func (s *Simulator) Flush() error { return s.w.Flush() }

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
