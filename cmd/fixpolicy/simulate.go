package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/rewrite"
)

func simulateCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "decide requests against a bucket policy, as AWS does",
		UsageText: `fixpolicy simulate --policy-file PATH [--account-id ID] --requests FILE.jsonl [-o json]
   fixpolicy simulate --policy-file PATH --principal ARN --action A --resource R [--context key=value ...]

Each request line is {"principal": ARN, "action": "s3:GetObject", "resource": ARN, "context": {"aws:SourceIp": "…"}};
context values are strings or arrays of strings. The answer for each is deny (a Deny statement matches),
allow (no Deny matches and the policy itself grants it) or none (the caller's IAM policies decide).

Examples:
   fixpolicy simulate --policy-file policy.json --principal arn:aws:iam::012345678901:user/alice \
       --action s3:GetObject --resource arn:aws:s3:::my-bucket/report.csv --context aws:SourceVpce=vpce-1a2b3c4d
   fixpolicy simulate --policy-file policy.json --account-id 012345678901 --requests requests.jsonl -o json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "policy-file", Usage: "the bucket policy to evaluate (- for standard input)", Required: true},
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's account: an Allow that names only this account delegates to its principals' IAM policies"},
			&cli.StringFlag{Name: "requests", Usage: "JSON Lines file of requests, one per line (- for standard input)"},
			&cli.StringFlag{Name: "principal", Usage: "the caller: an IAM/STS ARN, a service principal such as backup.amazonaws.com, or anonymous"},
			&cli.StringFlag{Name: "action", Usage: "the action, e.g. s3:GetObject"},
			&cli.StringFlag{Name: "resource", Usage: "the resource ARN, e.g. arn:aws:s3:::my-bucket/key"},
			&cli.StringSliceFlag{Name: "context", Usage: "a context key and value, key=value; repeat a key for several values (--context aws:SourceIp=192.0.2.10)"},
			outputFlag("text or json"),
		}, awsFlags()...),
		Action: func(c *cli.Context) error { return simulateAction(c, std) },
	}
}

type simOut struct {
	Decision   rewrite.Decision      `json:"decision,omitempty"`
	Statements []simStatement        `json:"statements,omitempty"`
	Error      string                `json:"error,omitempty"`
	Explain    []rewrite.Explanation `json:"-"`
}

type simStatement struct {
	Index int    `json:"index"`
	Sid   string `json:"sid,omitempty"`
}

func simulateAction(c *cli.Context, std stdio) error {
	if c.Args().Present() {
		return fail("simulate: unexpected argument %q", c.Args().First())
	}
	format := c.String("output")
	if format != "text" && format != "json" {
		return fail("simulate: -o %q is not an output format (use text or json)", format)
	}
	owner := c.String("account-id")
	if owner != "" && !isDigits(owner, 12) {
		return fail("--account-id %q is not a 12-digit AWS account ID", owner)
	}
	path := c.String("policy-file")
	var src []byte
	var err error
	if path == "-" {
		src, err = readAll(std.in)
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return fail("%s: cannot read the policy: %v", path, unwrapPathError(err))
	}
	pol, err := rewrite.Parse(src)
	if err != nil {
		return fail("%s: %v", path, err)
	}
	single := c.IsSet("principal") || c.IsSet("action") || c.IsSet("resource") || c.IsSet("context")
	reqPath := c.String("requests")
	switch {
	case single && reqPath != "":
		return fail("simulate: give either --requests or --principal/--action/--resource, not both")
	case !single && reqPath == "":
		return fail("simulate: give --requests FILE.jsonl, or --principal, --action and --resource")
	}
	w := bufio.NewWriterSize(std.out, 64<<10)
	defer w.Flush()
	emit := func(o simOut, req *rewrite.Request) {
		if format == "json" {
			b, _ := json.Marshal(o)
			w.Write(b)
			w.WriteByte('\n')
			return
		}
		writeSimText(w, pol, o, req)
	}
	if single {
		req := rewrite.Request{Principal: c.String("principal"), Action: c.String("action"), Resource: c.String("resource"), Context: map[string][]string{}}
		for _, kv := range c.StringSlice("context") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fail("--context %q is not key=value", kv)
			}
			req.Context[k] = append(req.Context[k], v)
		}
		o := simulateOne(pol, req, owner)
		if o.Error != "" {
			return fail("simulate: %s", o.Error)
		}
		emit(o, &req)
		return nil
	}
	var in io.Reader
	if reqPath == "-" {
		in = std.in
	} else {
		f, err := os.Open(reqPath)
		if err != nil {
			return fail("--requests %s: %v", reqPath, unwrapPathError(err))
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		req, err := decodeRequest(b)
		if err != nil {
			emit(simOut{Error: fmt.Sprintf("line %d: %v", line, err)}, nil)
			continue
		}
		o := simulateOne(pol, req, owner)
		if o.Error != "" {
			o.Error = fmt.Sprintf("line %d: %s", line, o.Error)
		}
		emit(o, &req)
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		return fail("--requests %s: line %d: %v", reqPath, line+1, err)
	}
	return nil
}

// decodeRequest reads one request line; context values are strings or
// arrays of strings.
func decodeRequest(b []byte) (rewrite.Request, error) {
	var raw struct {
		Principal *string                    `json:"principal"`
		Action    *string                    `json:"action"`
		Resource  *string                    `json:"resource"`
		Context   map[string]json.RawMessage `json:"context"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return rewrite.Request{}, fmt.Errorf("not a request object: %v", err)
	}
	if dec.More() {
		return rewrite.Request{}, fmt.Errorf("unexpected data after the request object")
	}
	switch {
	case raw.Principal == nil:
		return rewrite.Request{}, fmt.Errorf("missing \"principal\"")
	case raw.Action == nil:
		return rewrite.Request{}, fmt.Errorf("missing \"action\"")
	case raw.Resource == nil:
		return rewrite.Request{}, fmt.Errorf("missing \"resource\"")
	}
	req := rewrite.Request{Principal: *raw.Principal, Action: *raw.Action, Resource: *raw.Resource}
	if len(raw.Context) > 0 {
		req.Context = make(map[string][]string, len(raw.Context))
		for k, v := range raw.Context {
			var s string
			if err := json.Unmarshal(v, &s); err == nil {
				req.Context[k] = []string{s}
				continue
			}
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return rewrite.Request{}, fmt.Errorf("context %q must be a string or an array of strings", k)
			}
			req.Context[k] = list
		}
	}
	return req, nil
}

func simulateOne(p *rewrite.Policy, req rewrite.Request, owner string) simOut {
	er, err := rewrite.Prepare(req)
	if err != nil {
		return simOut{Error: err.Error()}
	}
	out := p.Decide(er, owner)
	o := simOut{Decision: out.Decision, Statements: make([]simStatement, len(out.Statements))}
	for i, idx := range out.Statements {
		o.Statements[i] = simStatement{Index: idx, Sid: p.Statements[idx].Sid}
	}
	return o
}

func writeSimText(w io.Writer, p *rewrite.Policy, o simOut, req *rewrite.Request) {
	if o.Error != "" {
		fmt.Fprintf(w, "error: %s\n", o.Error)
		return
	}
	fmt.Fprintf(w, "%s: %s %s on %s\n", strings.ToUpper(string(o.Decision)), req.Principal, req.Action, req.Resource)
	er, err := rewrite.Prepare(*req)
	if err != nil {
		return
	}
	for _, e := range p.Explain(er) {
		mark := "no match"
		if e.Matched {
			mark = "MATCH"
		}
		fmt.Fprintf(w, "  %s (%s): %s: %s\n", p.Statements[e.Statement].Label(), e.Effect, mark, e.Reason)
	}
}
