package events

import (
	"encoding/json"
	"errors"
	"testing"
)

type strictTarget struct {
	Name   string          `json:"name"`
	Count  int             `json:"count"`
	Amount Money           `json:"amount"`
	Note   string          `json:"note,omitempty"`
	Raw    json.RawMessage `json:"raw"`
}

func TestDecodeStrict(t *testing.T) {
	const valid = `{"name":"a","count":2,"amount":{"amount":"1.5","currency":"CNY"},"raw":null}`
	tests := []struct {
		name       string
		doc        string
		wantField  string
		wantDetail string
		wantCause  error // nil: only ErrPayloadInvalid
	}{
		{name: "valid", doc: valid},
		{name: "optional member absent", doc: `{"name":"a","count":2,"amount":{"amount":"1","currency":"CNY"},"raw":{}}`},
		{name: "not an object", doc: `[1]`, wantDetail: "not a JSON object"},
		{name: "null document", doc: `null`, wantDetail: "not a JSON object"},
		{name: "duplicate member", doc: `{"name":"a","name":"b","count":2,"amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantDetail: `duplicate member "name"`},
		{name: "unknown member", doc: `{"name":"a","count":2,"amount":{"amount":"1","currency":"CNY"},"raw":1,"x":1}`, wantField: "x", wantDetail: "unknown member"},
		{name: "case-folded name", doc: `{"Name":"a","count":2,"amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantField: "Name", wantDetail: "unknown member"},
		{name: "missing member", doc: `{"name":"a","amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantField: "count", wantDetail: "required"},
		{name: "null member", doc: `{"name":null,"count":2,"amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantField: "name", wantDetail: "required"},
		{name: "missing nullable member", doc: `{"name":"a","count":2,"amount":{"amount":"1","currency":"CNY"}}`, wantField: "raw", wantDetail: "required"},
		{name: "number for string", doc: `{"name":1,"count":2,"amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantField: "name", wantDetail: "must be a string, not number"},
		{name: "fraction for int", doc: `{"name":"a","count":1.5,"amount":{"amount":"1","currency":"CNY"},"raw":1}`, wantField: "count", wantDetail: "must be an integer, not number"},
		{name: "float amount", doc: `{"name":"a","count":2,"amount":{"amount":1.5,"currency":"CNY"},"raw":1}`, wantField: "amount", wantDetail: "invalid value", wantCause: ErrAmountMalformed},
		{name: "scale", doc: `{"name":"a","count":2,"amount":{"amount":"0.001","currency":"CNY"},"raw":1}`, wantField: "amount", wantDetail: "invalid value", wantCause: ErrAmountScaleExceeded},
		{name: "currency", doc: `{"name":"a","count":2,"amount":{"amount":"1","currency":"USD"},"raw":1}`, wantField: "amount", wantDetail: "invalid value", wantCause: ErrCurrencyUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strictTarget{Name: "untouched"}
			err := DecodeStrict([]byte(tt.doc), &got)
			if tt.wantDetail == "" {
				wantCode(t, err, "")
				if got.Name != "a" || got.Count != 2 {
					t.Fatalf("decoded %+v", got)
				}
				return
			}
			wantCode(t, err, CodePayloadInvalid)
			var e *Error
			errors.As(err, &e)
			if e.Field() != tt.wantField || e.Detail() != tt.wantDetail {
				t.Fatalf("field %q detail %q, want %q %q (%v)", e.Field(), e.Detail(), tt.wantField, tt.wantDetail, err)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Fatalf("error %v does not match %v", err, tt.wantCause)
			}
			if got.Name != "untouched" {
				t.Fatalf("target written on error: %+v", got)
			}
		})
	}
}

func TestDecodeStrictPanicsOnNonStruct(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a non-pointer target")
		}
	}()
	_ = DecodeStrict([]byte(`{}`), strictTarget{})
}
