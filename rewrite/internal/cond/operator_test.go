package cond

import (
	"errors"
	"testing"
)

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in       string
		name     string
		base     string
		family   Family
		set      SetOp
		ifExists bool
		negated  bool
	}{
		{"StringEquals", "StringEquals", "StringEquals", String, SetNone, false, false},
		{"ForAnyValue:StringNotLikeIfExists", "ForAnyValue:StringNotLikeIfExists", "StringNotLike", String, ForAnyValue, true, true},
		// §2.1/§9.4: names parsed case-insensitively (AWS acceptance UNCONFIRMED), emitted canonically.
		{"forallvalues:stringnotlike", "ForAllValues:StringNotLike", "StringNotLike", String, ForAllValues, false, true},
		{"STRINGEQUALSIGNORECASEIFEXISTS", "StringEqualsIgnoreCaseIfExists", "StringEqualsIgnoreCase", String, SetNone, true, false},
		{"NumericLessThanEquals", "NumericLessThanEquals", "NumericLessThanEquals", Numeric, SetNone, false, false},
		{"NumericNotEqualsIfExists", "NumericNotEqualsIfExists", "NumericNotEquals", Numeric, SetNone, true, true},
		{"DateNotEquals", "DateNotEquals", "DateNotEquals", Date, SetNone, false, true},
		{"Bool", "Bool", "Bool", Bool, SetNone, false, false},
		{"boolifexists", "BoolIfExists", "Bool", Bool, SetNone, true, false},
		{"BinaryEquals", "BinaryEquals", "BinaryEquals", Binary, SetNone, false, false},
		{"NotIpAddress", "NotIpAddress", "NotIpAddress", IP, SetNone, false, true},
		{"IpAddressIfExists", "IpAddressIfExists", "IpAddress", IP, SetNone, true, false},
		{"ArnEquals", "ArnEquals", "ArnEquals", ARN, SetNone, false, false},
		{"ForAllValues:ArnNotEquals", "ForAllValues:ArnNotEquals", "ArnNotEquals", ARN, ForAllValues, false, true},
		{"null", "Null", "Null", Null, SetNone, false, false},
	}
	for _, tc := range tests {
		op, err := ParseOperator(tc.in)
		if err != nil {
			t.Errorf("ParseOperator(%q): %v", tc.in, err)
			continue
		}
		if op.Name != tc.name || op.Base != tc.base || op.Family != tc.family || op.Set != tc.set || op.IfExists != tc.ifExists || op.Negated != tc.negated {
			t.Errorf("ParseOperator(%q) = %+v", tc.in, op)
		}
		if op.String() != tc.name {
			t.Errorf("String() = %q", op.String())
		}
		again, err := ParseOperator(op.Name)
		if err != nil || again != op {
			t.Errorf("round trip of %q: %+v, %v", op.Name, again, err)
		}
	}
}

func TestParseOperatorErrors(t *testing.T) {
	tests := []struct {
		in   string
		is   error
		text string
	}{
		{"StringEqual", ErrUnknownOperator, `unknown condition operator "StringEqual"`},
		{"", ErrUnknownOperator, `unknown condition operator ""`},
		{"IfExists", ErrUnknownOperator, `unknown condition operator "IfExists"`},
		{"ForSomeValues:StringEquals", ErrUnknownOperator, `unknown condition operator "ForSomeValues:StringEquals"`},
		{"ForAllValues:", ErrUnknownOperator, `unknown condition operator "ForAllValues:"`},
		{"StringEqualsIfExistsIfExists", ErrUnknownOperator, `unknown condition operator "StringEqualsIfExistsIfExists"`},
		{"BinaryNotEquals", ErrUnknownOperator, `unknown condition operator "BinaryNotEquals"`},
		// IAM-operators: "You can add IfExists to the end of any condition operator name except the Null condition".
		{"NullIfExists", ErrInvalidOperator, ""},
		{"ForAllValues:Null", ErrInvalidOperator, ""},
		{"ForAnyValue:Null", ErrInvalidOperator, ""},
	}
	for _, tc := range tests {
		_, err := ParseOperator(tc.in)
		if !errors.Is(err, tc.is) {
			t.Errorf("ParseOperator(%q) error = %v, want %v", tc.in, err, tc.is)
			continue
		}
		if tc.text != "" && err.Error() != tc.text {
			t.Errorf("ParseOperator(%q) error text = %q, want %q", tc.in, err.Error(), tc.text)
		}
	}
}

func TestBaseOperators(t *testing.T) {
	names := BaseOperators()
	if len(names) != 27 {
		t.Fatalf("got %d base operators", len(names))
	}
	for _, n := range names {
		op, err := ParseOperator(n)
		if err != nil || op.Base != n {
			t.Errorf("%s: %+v %v", n, op, err)
		}
	}
}

func TestHandBuiltOperator(t *testing.T) {
	op := Operator{Name: "StringNotLike", Base: "StringNotLike", Family: String, Negated: true}
	if !op.Eval([]string{"a*"}, []string{"b"}, true, nil) {
		t.Error("hand-built StringNotLike should evaluate from Base")
	}
	if c := op.Compile([]string{"a*"}); c.Operator() != op || !c.Eval([]string{"b"}, true, nil) {
		t.Error("Compiled.Operator / Eval")
	}
	bad := Operator{Name: "Nope", Base: "Nope"}
	if bad.Eval([]string{"a"}, []string{"a"}, true, nil) || bad.Compile([]string{"a"}).Eval([]string{"a"}, true, nil) {
		t.Error("unknown operator must evaluate false")
	}
	if err := bad.Validate(nil); !errors.Is(err, ErrUnknownOperator) {
		t.Errorf("Validate on unknown operator: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		op     string
		values []string
		text   string // "" = valid
	}{
		{"NumericLessThan", []string{"10", "-1.5", "+3", "007"}, ""},
		{"NumericLessThan", []string{"10", "ten"}, `NumericLessThan: "ten" is not a number`},
		{"NumericEquals", []string{"1e3"}, `NumericEquals: "1e3" is not a number`},
		{"NumericEquals", []string{"1."}, `NumericEquals: "1." is not a number`},
		{"NumericEquals", []string{""}, `NumericEquals: "" is not a number`},
		{"DateLessThan", []string{"2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.123+09:00", "1577836800", "2020-01", "2020-01-01T10:30Z"}, ""},
		{"DateLessThan", []string{"2020-13-01"}, `DateLessThan: "2020-13-01" is not a date (ISO 8601 or epoch seconds)`},
		{"DateLessThanIfExists", []string{"2021-02-29"}, `DateLessThanIfExists: "2021-02-29" is not a date (ISO 8601 or epoch seconds)`},
		{"DateEquals", []string{"2020-01-01T25:00:00Z"}, `DateEquals: "2020-01-01T25:00:00Z" is not a date (ISO 8601 or epoch seconds)`},
		{"IpAddress", []string{"203.0.113.0/24", "2001:DB8:1234:5678::/64", "10.0.0.1", "::1"}, ""},
		{"NotIpAddress", []string{"10.0.0.0/33"}, `NotIpAddress: "10.0.0.0/33" is not an IP address or CIDR block`},
		{"IpAddress", []string{"fe80::1%eth0"}, `IpAddress: "fe80::1%eth0" is not an IP address or CIDR block`},
		{"Bool", []string{"true", "FALSE", "${aws:x}"}, ""},
		{"Bool", []string{"yes"}, `Bool: "yes" is not "true" or "false"`},
		{"Null", []string{"True"}, ""},
		{"Null", []string{"${aws:x}"}, `Null: "${aws:x}" is not "true" or "false"`},
		{"BinaryEquals", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA==", ""}, ""},
		{"BinaryEquals", []string{"not base64!"}, `BinaryEquals: "not base64!" is not base64`},
		{"StringEquals", []string{"anything", "${x"}, ""},
		{"ArnLike", []string{"*"}, ""},
	}
	for _, tc := range tests {
		op, err := ParseOperator(tc.op)
		if err != nil {
			t.Fatal(err)
		}
		err = op.Validate(tc.values)
		switch {
		case tc.text == "" && err != nil:
			t.Errorf("%s %q: unexpected error %v", tc.op, tc.values, err)
		case tc.text != "" && (err == nil || err.Error() != tc.text):
			t.Errorf("%s %q: error %v, want %q", tc.op, tc.values, err, tc.text)
		case tc.text != "":
			var ve *ValueError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s: error %T is not a *ValueError/ErrInvalidValue", tc.op, err)
			}
		}
	}
}

func TestFamilyAndSetStrings(t *testing.T) {
	if String.String() != "String" || Null.String() != "Null" || Family(0).String() != "Family(0)" {
		t.Error("Family.String")
	}
	if ForAllValues.String() != "ForAllValues" || SetNone.String() != "" || SetOp(9).String() != "SetOp(9)" {
		t.Error("SetOp.String")
	}
	if !Bool.AllowsVariables() || Numeric.AllowsVariables() || !ARN.AllowsVariables() {
		t.Error("AllowsVariables")
	}
}
