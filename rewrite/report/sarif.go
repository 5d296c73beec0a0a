package report

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
)

const (
	sarifSchema    = "https://json.schemastore.org/sarif-2.1.0.json"
	informationURI = "https://github.com/fixpolicy/fixpolicy"
	fingerprintKey = "fixpolicy/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	ColumnKind  string            `json:"columnKind"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation carries what the run itself has to say that is not a
// finding: the organizations it assumed.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level      string            `json:"level"`
	Message    sarifText         `json:"message"`
	Locations  []sarifLocation   `json:"locations,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags            []string `json:"tags"`
	Precision       string   `json:"precision"`
	ProblemSeverity string   `json:"problem.severity"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	Target    string `json:"target"`
	Bucket    string `json:"bucket,omitempty"`
	Status    string `json:"status"`
	Kind      string `json:"kind"`
	Statement *int   `json:"statement,omitempty"` // 0-based, as in -o json
	Sid       string `json:"sid,omitempty"`
	Diff      string `json:"diff,omitempty"` // the whole patch of the target, unified
	// OrgAssumed is the organization the analysis assumed (-o json's org_assumed).
	OrgAssumed string `json:"orgAssumed,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

var semverRe = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// WriteSARIF writes one SARIF 2.1.0 log for all reports, as GitHub code
// scanning takes it: one result per change entry (per blocking statement and
// kind), located at the statement in the policy file; a refused patch at the
// whole document; a target that could not be checked as a result of rule
// FP005 at the line its error names. Every result has a location, since
// code scanning rejects a whole file with one unlocated result; bucket
// targets are located at "s3/BUCKET", with the bucket's ARN as a logical
// location.
func WriteSARIF(w io.Writer, reports []*Report, version string) error {
	drv := sarifDriver{Name: "fixpolicy", Version: version, InformationURI: informationURI}
	if m := semverRe.FindStringSubmatch(version); m != nil {
		drv.SemanticVersion = m[1]
	}
	for _, r := range rules {
		drv.Rules = append(drv.Rules, sarifRule{
			ID: r.id, Name: r.name,
			ShortDescription:     sarifText{r.short},
			FullDescription:      sarifText{r.full},
			Help:                 sarifHelp{Text: r.help, Markdown: r.helpMarkdown},
			DefaultConfiguration: sarifConfig{Level: r.level},
			Properties:           sarifRuleProps{Tags: []string{"aws", "s3", "aws-backup", "bucket-policy"}, Precision: "very-high", ProblemSeverity: r.level},
		})
	}
	out := []sarifResult{}
	for _, f := range results(reports) {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(f.r)}}}
		if f.reg.startLine >= 1 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.reg.startLine, StartColumn: f.reg.startCol, EndLine: f.reg.endLine, EndColumn: f.reg.endCol}
		}
		if f.file == "" && strings.HasPrefix(f.r.Target, "s3://") {
			b := bucketOf(f.r)
			loc.LogicalLocations = []sarifLogical{{Name: b, FullyQualifiedName: "arn:aws:s3:::" + b, Kind: "resource"}}
		}
		props := sarifResultProps{Target: f.r.Target, Bucket: f.r.Bucket, Status: f.r.Status, Kind: f.kind, Sid: f.sid, Diff: f.r.Diff, OrgAssumed: f.r.OrgAssumed}
		if f.stmt >= 0 {
			props.Statement = &f.stmt
		}
		out = append(out, sarifResult{
			RuleID: rules[f.rule].id, RuleIndex: f.rule, Level: f.level,
			Message:             sarifText{f.message},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{fingerprintKey: f.fp},
			Properties:          props,
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, ColumnKind: "utf16CodeUnits", Results: out}
	// An assumed organization is not a finding (nothing is wrong), but a
	// reader must know the analysis rests on it: a note of the invocation,
	// located at the target.
	var notes []sarifNotification
	ok := true
	for _, r := range reports {
		ok = ok && r.Status != StatusError
		if r.OrgNote == "" {
			continue
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(r)}}}
		notes = append(notes, sarifNotification{Level: "note", Message: sarifText{r.OrgNote}, Locations: []sarifLocation{loc},
			Properties: map[string]string{"target": r.Target, "orgAssumed": r.OrgAssumed}})
	}
	if len(notes) > 0 {
		run.Invocations = []sarifInvocation{{ExecutionSuccessful: ok, ToolExecutionNotifications: notes}}
	}
	log := sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}
