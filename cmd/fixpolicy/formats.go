package main

import (
	"fmt"
	"io"
)

// The pull-request formats (issue 6) are written here.

func writeSARIF(w io.Writer, reports []*report) error {
	return fmt.Errorf("-o sarif is not available in this version (use text or json)")
}

func writeMarkdown(w io.Writer, reports []*report) error {
	return fmt.Errorf("-o markdown is not available in this version (use text or json)")
}

func writeGitHub(w io.Writer, reports []*report, getenv func(string) string) error {
	return fmt.Errorf("-o github is not available in this version (use text or json)")
}
