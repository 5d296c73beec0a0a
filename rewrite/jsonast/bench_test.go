package jsonast

import (
	"fmt"
	"strings"
	"testing"
)

// benchPolicy returns a ~20 KB bucket policy in the AWS console's 4-space
// style.
func benchPolicy() []byte {
	var b strings.Builder
	b.WriteString("{\n    \"Version\": \"2012-10-17\",\n    \"Id\": \"BenchPolicy\",\n    \"Statement\": [")
	for i := 0; b.Len() < 20000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `
        {
            "Sid": "Statement%d",
            "Effect": "Allow",
            "Principal": {
                "AWS": [
                    "arn:aws:iam::%012d:role/reader-%d",
                    "arn:aws:iam::%012d:root"
                ]
            },
            "Action": [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:ListBucket"
            ],
            "Resource": [
                "arn:aws:s3:::bench-bucket-%d",
                "arn:aws:s3:::bench-bucket-%d/*"
            ],
            "Condition": {
                "Bool": {"aws:SecureTransport": "true"},
                "NumericLessThanEquals": {"s3:max-keys": %d}
            }
        }`, i, 111122223333+i, i, 444455556666+i, i, i, 1000+i)
	}
	b.WriteString("\n    ]\n}\n")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	src := benchPolicy()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders a policy after a typical fix: one statement
// edited and one new statement appended, so most of the document is emitted
// from source while the changed containers are rebuilt.
func BenchmarkRender(b *testing.B) {
	src := benchPolicy()
	v, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	st := v.Get("Statement").Value
	st.Elems[3].Get("Effect").Value.Str = "Deny"
	st.Elems = append(st.Elems, newStatement())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Render(v)
	}
}

// BenchmarkRenderUnchanged renders an unmodified document (the raw fast
// path).
func BenchmarkRenderUnchanged(b *testing.B) {
	src := benchPolicy()
	v, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Render(v)
	}
}

func TestBenchPolicy(t *testing.T) {
	src := benchPolicy()
	if len(src) < 20000 || len(src) > 22000 {
		t.Errorf("bench policy is %d bytes", len(src))
	}
	checkInvariants(t, src)
}
