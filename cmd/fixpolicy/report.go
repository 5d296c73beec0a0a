package main

// Reports and their output formats live in rewrite/report; this file binds
// them to the command: exit codes, the operating system's paths, and the
// job summary file of -o github.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
)

// report is the outcome for one target (a bucket or a policy file).
type report = rep.Report

// Status values of a target (-o json; README, "Usage").
const (
	statusPatched = rep.StatusPatched
	statusError   = rep.StatusError
)

// printer renders reports in one output format (rewrite/report's Printer)
// and appends -o github's job summary to the file $GITHUB_STEP_SUMMARY
// names.
type printer struct {
	w      io.Writer
	errW   io.Writer // text-mode errors go here
	format string
	color  bool
	getenv func(string) string
	all    []*report // the reports printed so far
	p      *rep.Printer
}

func (p *printer) pr() *rep.Printer {
	if p.p == nil {
		p.p = &rep.Printer{W: p.w, ErrW: p.errW, Format: p.format, Color: p.color, Version: version}
	}
	return p.p
}

func (p *printer) print(r *report) {
	if r.File != "" && r.File != "-" {
		r.File, r.FileAbs = filepath.ToSlash(r.File), filepath.IsAbs(r.File)
	}
	p.all = append(p.all, r)
	p.pr().Print(r)
}

// steps prints the steps of a report already printed (text output), after a
// confirmation prompt.
func (p *printer) steps(r *report) { p.pr().Steps(r) }

// summary prints a table of the targets' outcomes (text output, several buckets).
func (p *printer) summary() { p.pr().Summary() }

// finish writes the formats that cover every target at once.
func (p *printer) finish() error {
	if err := p.pr().Finish(); err != nil {
		return err
	}
	if p.format != "github" || p.getenv == nil {
		return nil
	}
	if path := p.getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := appendSummary(path, rep.StepSummary(p.all)); err != nil {
			return fmt.Errorf("cannot append the job summary to $GITHUB_STEP_SUMMARY (%s): %v", path, unwrapPathError(err))
		}
	}
	return nil
}

// appendSummary appends md to the job summary file, creating it if need be
// (GitHub, "Adding a job summary").
func appendSummary(path, md string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, md); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
