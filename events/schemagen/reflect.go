package schemagen

import (
	"reflect"

	"github.com/invopop/jsonschema"
)

// Reflect returns the schema of Go type t under the rules the event schemas
// follow: members without omitempty are required, unknown members are
// refused, and events.Money and events.Currency have their wire shape
// (amount as a decimal string, ISO 4217 code). It is for generators of
// other wire contracts built from events types, such as the channel
// request schemas; the caller sets $id, title and description.
func Reflect(t reflect.Type) *jsonschema.Schema {
	return reflector().ReflectFromType(t)
}

// Render encodes s the way Files does (two-space indentation, trailing
// newline), so every generated schema in the repository diffs the same way.
func Render(s *jsonschema.Schema) ([]byte, error) {
	return render(s)
}
