package jsonast_test

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

func Example() {
	src := []byte(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/*"
    }
  ]
}
`)
	v, err := jsonast.Parse(src)
	if err != nil {
		panic(err)
	}
	st := v.Get("Statement").Value.Elems[0]
	st.Get("Action").Value = jsonast.NewArray(jsonast.NewString("s3:GetObject"), jsonast.NewString("s3:ListBucket"))
	st.Set("Condition", jsonast.NewObject(
		jsonast.NewMember("Bool", jsonast.NewObject(jsonast.NewMember("aws:SecureTransport", jsonast.NewString("true")))),
	))
	fmt.Printf("%s", jsonast.Render(v))
	fmt.Printf("%s\n", jsonast.Compact(st.Get("Action").Value))
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Effect": "Allow",
	//       "Principal": "*",
	//       "Action": [
	//         "s3:GetObject",
	//         "s3:ListBucket"
	//       ],
	//       "Resource": "arn:aws:s3:::b/*",
	//       "Condition": {
	//         "Bool": {
	//           "aws:SecureTransport": "true"
	//         }
	//       }
	//     }
	//   ]
	// }
	// ["s3:GetObject","s3:ListBucket"]
}

func ExampleParse_error() {
	_, err := jsonast.Parse([]byte("{\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Effect\": \"Deny\"\n    }\n  ]\n}"))
	fmt.Println(err)
	// Output: line 5, column 7 (at /Statement/0): duplicate key "Effect"
}
