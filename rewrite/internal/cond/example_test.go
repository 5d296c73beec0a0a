package cond_test

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// A Deny with NotIpAddress aws:SourceIp blocks any caller outside the listed ranges, including an
// AWS service calling from its own addresses; a missing key makes the negated operator true.
func ExampleOperator_Eval() {
	op, err := cond.ParseOperator("NotIpAddress")
	if err != nil {
		panic(err)
	}
	office := []string{"203.0.113.0/24", "2001:db8::/32"}
	fmt.Println(op.Eval(office, []string{"203.0.113.10"}, true, nil))
	fmt.Println(op.Eval(office, []string{"52.95.1.10"}, true, nil))
	fmt.Println(op.Eval(office, nil, false, nil))
	// Output:
	// false
	// true
	// true
}

// The aws:userid exemption added by fixpolicy: StringNotLike is false exactly for the role's sessions.
func ExampleOperator_Eval_exemption() {
	op, _ := cond.ParseOperator("StringNotLike")
	exempt := []string{"AROAEXAMPLEID:*"}
	fmt.Println(op.Eval(exempt, []string{"AROAEXAMPLEID:AWSBackup-AWSBackupDefaultServiceRole"}, true, nil))
	fmt.Println(op.Eval(exempt, []string{"AIDAOTHERUSER"}, true, nil))
	// Output:
	// false
	// true
}

func ExampleSubstitutePattern() {
	vars := cond.MapResolver{"aws:username": "david"}
	p, ok := cond.SubstitutePattern("home/${aws:username}/${*}", vars)
	fmt.Println(p, ok)
	fmt.Println(p.Match("home/david/*"), p.Match("home/david/notes"))
	// Output:
	// home/david/\* true
	// true false
}

func ExampleWitnesses() {
	op, _ := cond.ParseOperator("NumericLessThanEquals")
	fmt.Printf("%q\n", cond.Witnesses([]cond.KeyCond{{Op: op, Values: []string{"10"}}}))
	// Output:
	// ["10" "9" "11"]
}

func ExampleMatchResource() {
	fmt.Println(cond.MatchResource("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c.txt", nil))
	fmt.Println(cond.MatchResource("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", nil))
	// Output:
	// true
	// false
}
