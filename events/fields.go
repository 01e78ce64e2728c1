package events

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// wireField describes one JSON member of a struct as encoding/json sees it.
type wireField struct {
	name     string
	required bool // no omitempty/omitzero: the encoder always writes it
	nullable bool // pointer, slice, map or interface: null is a real value
}

// wireFields lists the JSON members of struct type t. It is strict about
// shape so that the wire contract is always spelled out in the source:
// every exported field must carry an explicit json name (or "-"), and
// embedded fields are refused because their promotion rules make the wire
// shape easy to change by accident. It panics on violations, since it runs
// at registration time where a bad type is a programming error.
//
// A field is required exactly when the generated JSON Schema lists it as
// required (no omitempty or omitzero), so decoding and the schemas agree.
func wireFields(t reflect.Type) []wireField {
	if t.Kind() != reflect.Struct {
		panic("events: " + t.String() + " is not a struct")
	}
	var fields []wireField
	for f := range t.Fields() {
		// Checked before IsExported: encoding/json promotes the fields of
		// embedded unexported structs too.
		if f.Anonymous {
			panic("events: " + t.String() + "." + f.Name + ": embedded fields are not allowed in wire types")
		}
		if !f.IsExported() {
			continue
		}
		tag, ok := f.Tag.Lookup("json")
		if !ok {
			panic("events: " + t.String() + "." + f.Name + ": exported field needs an explicit json tag")
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			panic("events: " + t.String() + "." + f.Name + ": json tag must name the member")
		}
		optional := false
		for opt := range strings.SplitSeq(opts, ",") {
			optional = optional || opt == "omitempty" || opt == "omitzero"
		}
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			fields = append(fields, wireField{name: name, required: !optional, nullable: true})
		default:
			fields = append(fields, wireField{name: name, required: !optional})
		}
	}
	return fields
}

// checkMembers compares decoded object members with the expected fields by
// exact name: an unexpected member is reported through unknown, and a
// required member that is absent, or null where null is not a real value,
// through missing. Names are checked in sorted order so errors are stable.
func checkMembers(members map[string]json.RawMessage, fields []wireField, unknown, missing func(name string) error) error {
	byName := make(map[string]wireField, len(fields))
	for _, f := range fields {
		byName[f.name] = f
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if _, ok := byName[name]; !ok {
			return unknown(name)
		}
	}
	for _, f := range fields {
		raw, present := members[f.name]
		if f.required && (!present || (!f.nullable && isJSONNull(raw))) {
			return missing(f.name)
		}
	}
	return nil
}
