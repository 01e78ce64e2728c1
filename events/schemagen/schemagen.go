// Package schemagen renders JSON Schemas (draft 2020-12) for the event
// envelope and every payload type in an events.Registry, so that consumers
// outside Go (ClickHouse ingestion, partner tooling, contract tests) can
// validate paycore events without reading Go code.
//
// The schemas are generated from the Go types rather than written by hand
// so that they cannot drift from what the codec accepts; the checked-in
// copies under schemas/events are kept honest by a test in this package.
// It lives outside package events to keep the schema library out of every
// binary that merely produces or consumes events.
package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"

	"github.com/invopop/jsonschema"

	"github.com/paycore/paycore/events"
)

// RegenerateCommand is the command that rewrites the checked-in schemas.
const RegenerateCommand = "go generate ./events/..."

// EnvelopeFile is the file name of the envelope schema.
const EnvelopeFile = "envelope.json"

// baseID prefixes every schema $id; it is where the files live in the
// repository, so an $id can be resolved by a human.
const baseID = "https://github.com/paycore/paycore/schemas/events/"

// FileName returns the schema file name for a payload kind,
// "<type>.v<version>.json". Event types always contain a dot (see
// events.TypePattern), so they cannot collide with EnvelopeFile.
func FileName(k events.Kind) string {
	return k.Type + ".v" + strconv.Itoa(k.Version) + ".json"
}

// Files renders the envelope schema and one schema per kind registered in
// reg, keyed by file name. Output is deterministic (stable member order,
// two-space indentation, trailing newline) so that it can be diffed.
func Files(reg *events.Registry) (map[string][]byte, error) {
	files := make(map[string][]byte)
	env, err := render(envelopeSchema())
	if err != nil {
		return nil, fmt.Errorf("schemagen: envelope: %w", err)
	}
	files[EnvelopeFile] = env
	for _, k := range reg.Types() {
		t, _ := reg.Lookup(k)
		s := payloadSchema(k, t)
		if reg.Superseded(k) {
			s.Description += fmt.Sprintf(" Superseded by version %d: still in the logs and read through an upcaster, never written again.", reg.Current(k).Version)
		}
		out, err := render(s)
		if err != nil {
			return nil, fmt.Errorf("schemagen: %s: %w", k, err)
		}
		files[FileName(k)] = out
	}
	return files, nil
}

// Write replaces the *.json files in dir with Files(reg): see WriteFiles.
func Write(dir string, reg *events.Registry) error {
	files, err := Files(reg)
	if err != nil {
		return err
	}
	return WriteFiles(dir, files)
}

// WriteFiles makes dir mirror files: it creates or overwrites every file
// and deletes *.json files that files no longer holds (a schema of a type
// that was removed). Other files are left alone.
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	existing, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range existing {
		if _, keep := files[filepath.Base(path)]; !keep {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func render(s *jsonschema.Schema) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reflector is configured so that schemas are as strict as the decoder:
// additionalProperties is false (the decoder rejects unknown members) and
// members without omitempty are required (the decoder rejects them missing).
func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		Anonymous:      true, // $id is set explicitly from the file name
		ExpandedStruct: true, // the root is the type itself, not a $ref
		Mapper:         mapType,
	}
}

func payloadSchema(k events.Kind, t reflect.Type) *jsonschema.Schema {
	s := reflector().ReflectFromType(t)
	s.ID = jsonschema.ID(baseID + FileName(k))
	s.Title = k.Type
	s.Description = fmt.Sprintf("Payload of %s version %d (Go type %s).", k.Type, k.Version, t)
	s.Comments = generatedComment()
	return s
}

func generatedComment() string {
	return "Generated from Go types by `" + RegenerateCommand + "`. DO NOT EDIT."
}

// mapType supplies schemas for types whose wire form is produced by custom
// marshalling and therefore cannot be inferred from their Go fields.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[events.Money]():
		return moneySchema()
	case reflect.TypeFor[events.Currency]():
		return currencySchema()
	}
	return nil
}

func moneySchema() *jsonschema.Schema {
	props := jsonschema.NewProperties()
	props.Set("amount", &jsonschema.Schema{
		Type:        "string",
		Pattern:     events.AmountPattern,
		Description: "Exact decimal amount with at most 2 decimals, magnitude at most " + events.MaxAmount + "; a string, never a JSON number.",
		Examples:    []any{"12.30"},
	})
	props.Set("currency", currencySchema())
	return &jsonschema.Schema{
		Type:                 "object",
		Description:          "Exact money amount.",
		Properties:           props,
		Required:             []string{"amount", "currency"},
		AdditionalProperties: jsonschema.FalseSchema,
	}
}

func currencySchema() *jsonschema.Schema {
	var codes []any
	for _, c := range events.Currencies() {
		codes = append(codes, c.String())
	}
	return &jsonschema.Schema{Type: "string", Enum: codes, Description: "ISO 4217 currency code."}
}
