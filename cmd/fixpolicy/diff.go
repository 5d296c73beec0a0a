package main

import (
	"context"
	"errors"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
	"github.com/urfave/cli/v2"
)

func diffCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show the access that changes between two bucket policies",
		ArgsUsage: "OLD.json NEW.json",
		UsageText: `fixpolicy diff OLD.json NEW.json [--account-id ID] [-o text|json]

Computes, locally and exactly, the classes of requests whose decision differs between two
bucket policies: who, which actions, on what, under which condition values, and how the
decision changes (deny, allow, none). Reordered or split statements, string-versus-array,
key spelling, action case and Sid changes are equivalent. Exit 0 when the policies are
equivalent, 2 when access changes, 1 on error.

Example:
   fixpolicy diff policy.json policy.new.json -o json`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's account: an Allow that names only this account delegates to its principals' IAM policies"},
			outputFlag("text or json"),
			timeoutFlag(),
		}, awsFlags()...),
		Action: func(c *cli.Context) error { return diffAction(c, std) },
	}
}

func diffAction(c *cli.Context, std stdio) error {
	if c.Args().Len() != 2 {
		return fail("diff takes two policy files: fixpolicy diff OLD.json NEW.json (got %d arguments)", c.Args().Len())
	}
	format := c.String("output")
	if format != "text" && format != "json" {
		return fail("diff: -o %q is not an output format (use text or json)", format)
	}
	owner := c.String("account-id")
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return err
	}
	timeout, err := timeoutOf(c)
	if err != nil {
		return err
	}
	var pols [2]*rewrite.Policy
	for i, path := range c.Args().Slice() {
		var err error
		if pols[i], err = readPolicy(std, path); err != nil {
			return err
		}
	}
	ctx, cancel := fleet.WithTimeout(c.Context, timeout)
	defer cancel()
	d, err := fleet.Bounded(ctx, func() (*rewrite.DeltaResult, error) {
		return rewrite.DeltaContext(ctx, pols[0], pols[1], rewrite.DeltaOptions{Owner: owner})
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return fail("%v", fleet.TimeoutError(timeout, c.Args().Get(0)+" and "+c.Args().Get(1)))
	}
	if err != nil {
		return fail("diff: %v", err)
	}
	if err := rep.WriteDelta(std.out, format, c.Args().Get(0), c.Args().Get(1), d); err != nil {
		return fail("%v", err)
	}
	if !d.Equivalent {
		return exitWith(fleet.ExitChanges)
	}
	return nil
}
