package main

// Reports and their output formats live in rewrite/report; this file binds
// them to the command: exit codes, the operating system's paths, and the
// job summary file of -o github.

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
)

// report is the outcome for one target (a bucket or a policy file).
type report = rep.Report

// printer is rewrite/report's Printer; newPrinter binds it to the run's
// output streams.
type printer = rep.Printer

func newPrinter(std stdio, format string, color bool) *printer {
	return &printer{W: std.out, ErrW: std.err, Format: format, Color: color, Version: version}
}

// finish writes the formats that cover every target at once, and appends
// -o github's job summary to the file $GITHUB_STEP_SUMMARY names (GitHub,
// "Adding a job summary").
func finish(pr *printer, getenv func(string) string) error {
	if err := pr.Finish(); err != nil {
		return err
	}
	if pr.Format != "github" || getenv == nil {
		return nil
	}
	if path := getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := fleet.AppendFile(path, rep.StepSummary(pr.Reports())); err != nil {
			return fmt.Errorf("cannot append the job summary to $GITHUB_STEP_SUMMARY (%s): %v", path, fleet.UnwrapPathError(err))
		}
	}
	return nil
}
