package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// DecodeStrict decodes data, which must be exactly one JSON object, into the
// struct v points to, with the rules Registry.Decode applies to payloads:
// member names match the json tags exactly, duplicate and unknown members
// are refused, every required member (see wireFields) is present and not
// null, and each value has the JSON type its field needs. Money members
// follow Money.UnmarshalJSON, so floats and exponents never enter. It is
// for wire types that are not event payloads, such as channel requests and
// their bodies.
//
// Members are decoded one by one in struct field order, so each error
// names the member at fault and a given input always yields the same
// error. v is only written when decoding succeeds.
//
// Errors are *Error with code payload_invalid (ErrPayloadInvalid): Field
// names the member when there is one, Detail says what is wrong in words
// meant for people who write JSON rather than Go, and the cause stays
// reachable, so errors.Is(err, ErrAmountScaleExceeded) reports a bad amount
// inside a Money member.
//
// DecodeStrict panics if v is not a non-nil pointer to a struct that
// spells out its wire shape (see Registry.Register): that is a programming
// error, not bad input.
func DecodeStrict(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("events: DecodeStrict needs a non-nil pointer to a struct, got %T", v))
	}
	layout := strictLayoutOf(rv.Elem().Type())
	members, err := decodeObject(data)
	if err != nil {
		return newError(CodePayloadInvalid, "", err.Error(), err)
	}
	err = checkMembers(members, layout.fields,
		func(name string) error { return newError(CodePayloadInvalid, name, "unknown member", nil) },
		func(name string) error { return newError(CodePayloadInvalid, name, "required", nil) })
	if err != nil {
		return err
	}
	out := reflect.New(layout.goType).Elem()
	for _, f := range layout.fields {
		raw, ok := members[f.name]
		if !ok {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out.Field(layout.index[f.name]).Addr().Interface()); err != nil {
			return memberError(f.name, err)
		}
	}
	rv.Elem().Set(out)
	return nil
}

// strictLayout is what DecodeStrict needs to know about a struct type,
// computed once per type.
type strictLayout struct {
	goType reflect.Type
	fields []wireField
	index  map[string]int // wire name → struct field index
}

var strictLayouts sync.Map // reflect.Type → *strictLayout

func strictLayoutOf(t reflect.Type) *strictLayout {
	if l, ok := strictLayouts.Load(t); ok {
		return l.(*strictLayout)
	}
	l := &strictLayout{goType: t, fields: wireFields(t), index: map[string]int{}}
	// wireFields has already refused embedded and untagged fields, so the
	// remaining exported, named fields map one to one onto wire names.
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			l.index[name] = i
		}
	}
	actual, _ := strictLayouts.LoadOrStore(t, l)
	return actual.(*strictLayout)
}

// memberError classifies the failure to decode member name.
func memberError(name string, err error) error {
	var typeErr *json.UnmarshalTypeError
	var ownErr *Error
	switch {
	case errors.As(err, &ownErr):
		// A Money (or other events type) refused the value: keep its code
		// reachable and let it speak for itself.
		return newError(CodePayloadInvalid, name, "invalid value", err)
	case errors.As(err, &typeErr):
		field := name
		if typeErr.Field != "" {
			field += "." + typeErr.Field
		}
		// typeErr.Value starts with the JSON kind ("number 1.5"); the rest
		// is input, which is not echoed.
		got, _, _ := strings.Cut(typeErr.Value, " ")
		return newError(CodePayloadInvalid, field, "must be "+jsonKind(typeErr.Type)+", not "+got, err)
	}
	return newError(CodePayloadInvalid, name, "invalid value", err)
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
