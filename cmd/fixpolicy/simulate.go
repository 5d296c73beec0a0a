package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/simulate"
	"github.com/urfave/cli/v2"
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

// simOpts are the simulate command's flags, validated.
type simOpts struct {
	asJSON         bool
	owner          string
	policy, stream string           // --policy-file, --requests ("-": standard input)
	single         *rewrite.Request // the request given by flags, if any
}

func parseSimulateOpts(c *cli.Context) (simOpts, error) {
	if c.Args().Present() {
		return simOpts{}, fail("simulate: unexpected argument %q (the policy is given with --policy-file, requests with --requests or --principal/--action/--resource)", c.Args().First())
	}
	format := inherited(c, "output")
	if format != "text" && format != "json" {
		return simOpts{}, fail("simulate: -o %q is not an output format (use text or json)", format)
	}
	o := simOpts{asJSON: format == "json", owner: inherited(c, "account-id"), policy: c.String("policy-file"), stream: c.String("requests")}
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return o, err
	}
	var kv []string
	if f, ok := c.Generic("context").(*contextFlag); ok && f != nil {
		kv = f.kv
	}
	single := c.IsSet("principal") || c.IsSet("action") || c.IsSet("resource") || len(kv) > 0
	switch {
	case single && o.stream != "":
		return o, fail("simulate: give either --requests or --principal/--action/--resource, not both")
	case !single && o.stream == "":
		return o, fail("simulate: give --requests FILE.jsonl, or --principal, --action and --resource")
	case o.policy == "-" && o.stream == "-":
		return o, fail("simulate: --policy-file - and --requests - cannot both read standard input")
	case !single:
		return o, nil
	}
	var missing []string
	for _, f := range []string{"principal", "action", "resource"} {
		if c.String(f) == "" {
			missing = append(missing, "--"+f)
		}
	}
	if len(missing) > 0 {
		return o, fail("simulate: a single request needs --principal, --action and --resource (missing %s)", strings.Join(missing, ", "))
	}
	ctx, err := simulate.ParseContext(kv)
	if err != nil {
		return o, fail("--context %v (e.g. --context aws:SourceIp=192.0.2.10)", err)
	}
	o.single = &rewrite.Request{Principal: c.String("principal"), Action: c.String("action"), Resource: c.String("resource"), Context: ctx}
	return o, nil
}

func simulateAction(c *cli.Context, std stdio) error {
	o, err := parseSimulateOpts(c)
	if err != nil {
		return err
	}
	pol, err := readPolicy(std, o.policy)
	if err != nil {
		return err
	}
	sim := simulate.New(pol, o.owner, o.asJSON, std.out)
	if o.single != nil {
		if err := sim.Decide(*o.single); err != nil {
			return fail("simulate: %v", err)
		}
		if err := sim.Flush(); err != nil {
			return fail("simulate: writing the result: %v", err)
		}
		return nil
	}
	in := std.in
	if o.stream != "-" {
		f, err := os.Open(o.stream)
		if err != nil {
			return fail("--requests %s: %v", o.stream, fleet.UnwrapPathError(err))
		}
		defer f.Close()
		in = f
	} else if in == nil {
		return fail("--requests -: no standard input")
	}
	n, bad, err := sim.Stream(in)
	if ferr := sim.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing the results: %v", ferr)
	}
	if err != nil {
		return fail("simulate: --requests %s: %v", o.stream, err)
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
