package cond

import "testing"

var sink bool

func benchEval(b *testing.B, opName string, values, req []string, vars Resolver) {
	op := mustOp(b, opName)
	b.ReportAllocs()
	for b.Loop() {
		sink = op.Eval(values, req, true, vars)
	}
}

func benchCompiled(b *testing.B, opName string, values, req []string, vars Resolver) {
	c := mustOp(b, opName).Compile(values)
	b.ReportAllocs()
	for b.Loop() {
		sink = c.Eval(req, true, vars)
	}
}

var (
	benchCIDRs = []string{"203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "2001:db8:1234:5678::/64"}
	benchIP    = []string{"52.95.1.10"}
)

func BenchmarkEvalStringNotEquals(b *testing.B) {
	benchEval(b, "StringNotEquals", []string{"vpce-1a2b3c4d"}, []string{"vpce-9f8e7d6c"}, nil)
}

func BenchmarkEvalStringNotEqualsVars(b *testing.B) {
	benchEval(b, "StringNotEquals", []string{"vpce-1a2b3c4d"}, []string{"vpce-9f8e7d6c"}, MapResolver{})
}

func BenchmarkEvalStringLike(b *testing.B) {
	benchEval(b, "StringNotLike", []string{"AROAEXAMPLEID:*"}, []string{"AROAEXAMPLEID:AWSBackup-AWSBackupDefaultServiceRole"}, nil)
}

func BenchmarkEvalStringLikeVariable(b *testing.B) {
	benchEval(b, "StringLike", []string{"home/${aws:username}/*"}, []string{"home/david/notes.txt"}, MapResolver{"aws:username": "david"})
}

func BenchmarkEvalIpAddress4CIDRs(b *testing.B) {
	benchEval(b, "NotIpAddress", benchCIDRs, benchIP, nil)
}

func BenchmarkCompiledIpAddress4CIDRs(b *testing.B) {
	benchCompiled(b, "NotIpAddress", benchCIDRs, benchIP, nil)
}

func BenchmarkEvalArnLike(b *testing.B) {
	benchEval(b, "ArnNotLike", []string{"arn:aws:iam::111122223333:role/service-role/*"},
		[]string{"arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"}, nil)
}

func BenchmarkEvalDateLessThan(b *testing.B) {
	benchEval(b, "DateLessThan", []string{"2020-01-01T00:00:00Z"}, []string{"2026-11-24T10:00:00Z"}, nil)
}

func BenchmarkCompiledDateLessThan(b *testing.B) {
	benchCompiled(b, "DateLessThan", []string{"2020-01-01T00:00:00Z"}, []string{"2026-11-24T10:00:00Z"}, nil)
}

func BenchmarkEvalNumericLessThan(b *testing.B) {
	benchEval(b, "NumericLessThanEquals", []string{"10"}, []string{"9"}, nil)
}

func BenchmarkMatchAction(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = MatchAction("s3:Get*", "s3:GetObjectVersionTagging")
	}
}

func BenchmarkMatchResource(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = MatchResource("arn:aws:s3:::example-bucket/*", "arn:aws:s3:::example-bucket/path/to/object.txt", nil)
	}
}

func BenchmarkMatchResourceCrossing(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sink = MatchResource("arn:aws:s3:*", "arn:aws:s3:::example-bucket/path/to/object.txt", nil)
	}
}

func BenchmarkWitnesses(b *testing.B) {
	conds := []KeyCond{
		{Op: mustOp(b, "StringNotLike"), Values: []string{"AROAEXAMPLEID:*", "AROAOTHER:*"}},
		{Op: mustOp(b, "StringNotEquals"), Values: []string{"AIDAUSER"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Witnesses(conds)
	}
}
