package legacy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

const today = "2024-03-01"

// good is a valid row; variants change one member.
func good() map[string]any {
	return map[string]any{
		"legacy_no": "20180521000100200300400500600700800900", "channel_id": "alipay",
		"payer_account": "6222020000000101", "holder_name": "张三", "id_number": "110101199001011234",
		"phone": "13800000101", "per_payment_limit": "500.00", "daily_limit": "2000.00", "signed_at": "2016-05-04",
	}
}

func line(t *testing.T, mod func(map[string]any)) string {
	t.Helper()
	r := good()
	if mod != nil {
		mod(r)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func set(k string, v any) func(map[string]any) { return func(r map[string]any) { r[k] = v } }

func parseString(t *testing.T, s string) Parsed {
	t.Helper()
	p, err := Parse(strings.NewReader(s), today)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every reason a single line can be bad for, with the member it names.
func TestParseBadRowReasons(t *testing.T) {
	tests := []struct {
		name, text    string
		reason, field string
	}{
		{"not JSON", "not json at all", ReasonMalformedJSON, ""},
		{"JSON array", `["a"]`, ReasonMalformedJSON, ""},
		{"two objects", line(t, nil) + line(t, nil), ReasonMalformedJSON, ""},
		{"invalid UTF-8", strings.Replace(line(t, nil), "张", "\xff", 1), ReasonMalformedJSON, ""},
		{"duplicate member", strings.Replace(line(t, nil), `{`, `{"phone":"13800000101",`, 1), ReasonMalformedJSON, ""},
		{"unknown member", line(t, set("currency", "CNY")), ReasonUnknownField, "currency"},
		{"missing member", line(t, func(r map[string]any) { delete(r, "phone") }), ReasonMissingField, "phone"},
		{"null member", line(t, set("holder_name", nil)), ReasonMissingField, "holder_name"},
		{"empty member", line(t, set("channel_id", "")), ReasonMissingField, "channel_id"},
		{"empty limit", line(t, set("daily_limit", "")), ReasonMissingField, "daily_limit"},
		{"empty date", line(t, set("signed_at", "")), ReasonMissingField, "signed_at"},
		{"limit as a number", line(t, set("per_payment_limit", 500.0)), ReasonWrongType, "per_payment_limit"},
		{"account as a number", line(t, set("payer_account", 6222020000000101)), ReasonWrongType, "payer_account"},
		{"legacy number too long", line(t, set("legacy_no", strings.Repeat("7", events.LegacyNoMaxLen+1))), ReasonFieldInvalid, "legacy_no"},
		{"legacy number with a space", line(t, set("legacy_no", "2018 0521")), ReasonFieldInvalid, "legacy_no"},
		{"legacy number already NetsUnion", line(t, set("legacy_no", "NUABCDEFGHIJKLMNOPQRSTUVWXYZ23")), ReasonLegacyNoNetsUnion, "legacy_no"},
		{"channel", line(t, set("channel_id", "ali pay")), ReasonFieldInvalid, "channel_id"},
		{"account", line(t, set("payer_account", "6222-0200")), ReasonFieldInvalid, "payer_account"},
		{"holder name", line(t, set("holder_name", "张\x01三")), ReasonFieldInvalid, "holder_name"},
		{"ID number", line(t, set("id_number", "11010119900101123")), ReasonFieldInvalid, "id_number"},
		{"phone", line(t, set("phone", "1380000010")), ReasonFieldInvalid, "phone"},
		{"amount malformed", line(t, set("per_payment_limit", "5e2")), events.CodeAmountMalformed, "per_payment_limit"},
		{"amount negative", line(t, set("daily_limit", "-1.00")), events.CodeAmountNegative, "daily_limit"},
		{"amount zero", line(t, set("per_payment_limit", "0.00")), events.CodeAmountNotPositive, "per_payment_limit"},
		{"amount scale", line(t, set("daily_limit", "2000.001")), events.CodeAmountScaleExceeded, "daily_limit"},
		{"amount too large", line(t, set("daily_limit", "1000000000000000.00")), events.CodeAmountTooLarge, "daily_limit"},
		{"limits", line(t, set("per_payment_limit", "2000.01")), events.ReasonLimitsInvalid, "per_payment_limit"},
		{"date malformed", line(t, set("signed_at", "2016-5-4")), ReasonFieldInvalid, "signed_at"},
		{"date with a time", line(t, set("signed_at", "2016-05-04T10:00:00+08:00")), ReasonFieldInvalid, "signed_at"},
		{"date in the future", line(t, set("signed_at", "2024-03-02")), ReasonFieldInvalid, "signed_at"},
		{"line too long", line(t, set("holder_name", strings.Repeat("x", MaxLineBytes))), ReasonLineTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad line sits between two good ones, which still import.
			other := line(t, set("legacy_no", "OTHER-1"))
			third := line(t, set("legacy_no", "OTHER-2"))
			p := parseString(t, other+"\n"+tt.text+"\n"+third+"\n")
			if len(p.Bad) != 1 {
				t.Fatalf("bad rows %v, want one", p.Bad)
			}
			b := p.Bad[0]
			if b.Line != 2 || b.Reason != tt.reason || b.Field != tt.field {
				t.Errorf("bad row %+v, want line 2, %s (%s)", b, tt.reason, tt.field)
			}
			if len(p.Agreements) != 2 || p.Agreements[0].Line != 1 || p.Agreements[1].Line != 3 || p.Rows != 3 {
				t.Errorf("good rows %+v of %d, want lines 1 and 3 of 3", p.Agreements, p.Rows)
			}
		})
	}
}

// A valid row parses into exact money and keeps every member.
func TestParseGoodRow(t *testing.T) {
	p := parseString(t, "\ufeff"+line(t, set("per_payment_limit", "500"))+"\r\n")
	if len(p.Bad) != 0 || len(p.Agreements) != 1 {
		t.Fatalf("parsed %+v", p)
	}
	a := p.Agreements[0]
	if a.Line != 1 || a.LegacyNo != "20180521000100200300400500600700800900" || a.ChannelID != "alipay" ||
		a.PayerAccount != "6222020000000101" || a.HolderName != "张三" || a.IDNumber != "110101199001011234" ||
		a.Phone != "13800000101" || a.SignedOn != "2016-05-04" ||
		a.PerPaymentLimit.String() != "500.00" || a.DailyLimit.String() != "2000.00" {
		t.Errorf("agreement %+v", a)
	}
	if p := parseString(t, line(t, set("signed_at", today))); len(p.Agreements) != 1 {
		t.Errorf("an agreement signed on the import date was refused: %v", p.Bad)
	}
}

// Line numbers count every line, blank ones included, from 1.
func TestParseLineNumbers(t *testing.T) {
	text := "\n" + line(t, nil) + "\n   \n\n" + "{\n" + line(t, set("legacy_no", "B")) + "\n" + "}"
	p := parseString(t, text)
	var got []int
	for _, b := range p.Bad {
		got = append(got, b.Line)
	}
	if len(got) != 2 || got[0] != 5 || got[1] != 7 {
		t.Errorf("bad lines %v, want [5 7]", got)
	}
	if len(p.Agreements) != 2 || p.Agreements[0].Line != 2 || p.Agreements[1].Line != 6 || p.Rows != 4 {
		t.Errorf("good rows %+v (rows %d), want lines 2 and 6 of 4", p.Agreements, p.Rows)
	}
}

// A legacy number repeated with the same content imports once; with other
// content, none of its lines imports.
func TestParseDuplicates(t *testing.T) {
	a := line(t, set("legacy_no", "A"))
	b1 := line(t, set("legacy_no", "B"))
	b2 := line(t, func(r map[string]any) { r["legacy_no"] = "B"; r["daily_limit"] = "3000.00" })
	p := parseString(t, strings.Join([]string{a, b1, a, b2, a, b1}, "\n"))
	if len(p.Agreements) != 1 || p.Agreements[0].LegacyNo != "A" || p.Agreements[0].Line != 1 {
		t.Fatalf("agreements %+v, want only A from line 1", p.Agreements)
	}
	if len(p.Duplicates) != 2 || p.Duplicates[0] != (Duplicate{Line: 3, SameAs: 1, LegacyNo: "A"}) || p.Duplicates[1].Line != 5 {
		t.Errorf("duplicates %+v", p.Duplicates)
	}
	if len(p.Bad) != 3 {
		t.Fatalf("bad %+v, want lines 2, 4 and 6", p.Bad)
	}
	for i, want := range []int{2, 4, 6} {
		b := p.Bad[i]
		if b.Line != want || b.Reason != ReasonDuplicateLegacyNo || b.LegacyNo != "B" || !strings.Contains(b.Detail, "lines 2, 4, 6") {
			t.Errorf("bad[%d] = %+v", i, b)
		}
	}
}

func TestParseRefusesTooManyRows(t *testing.T) {
	var sb strings.Builder
	for range MaxRows + 1 {
		sb.WriteString("x\n")
	}
	if _, err := Parse(strings.NewReader(sb.String()), today); err == nil || !strings.Contains(err.Error(), "split the file") {
		t.Fatalf("Parse = %v, want a refusal to read more than %d rows", err, MaxRows)
	}
}

// The checked-in example is what the docs show: every row of it is good.
func TestExampleFileIsValid(t *testing.T) {
	f, err := os.Open("testdata/stock.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Parse(f, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Bad) != 0 || len(p.Agreements) != 3 {
		t.Fatalf("example: %d good rows, bad %v", len(p.Agreements), p.Bad)
	}
	for _, a := range p.Agreements {
		if a.ChannelID == "alipay" && len(a.LegacyNo) <= 32 {
			t.Errorf("example alipay number %s fits the NetsUnion field; the example should show one that does not", a.LegacyNo)
		}
	}
}
