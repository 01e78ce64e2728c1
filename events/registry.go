package events

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Payload is implemented by every event payload type. EventType returns the
// stable wire name (see TypePattern) and EventVersion the schema version,
// starting at 1. Both must be constants of the type, implemented on the
// value receiver: they identify the Go type, not a particular value.
type Payload interface {
	EventType() string
	EventVersion() int
}

// Validator is optionally implemented by payload types to check semantic
// invariants that JSON decoding cannot express, such as "probe_id is not
// empty". Registry.New and Registry.Decode call it, so an invalid event can
// neither be written nor read. It must have a value receiver (Register
// enforces this). Errors that do not already match ErrPayloadInvalid are
// wrapped in one, so callers see a single code for all payload problems.
type Validator interface {
	Validate() error
}

// Kind identifies a registered payload type on the wire.
type Kind struct {
	Type    string
	Version int
}

// String returns e.g. "payment.payer_debited v1", for logs and errors.
func (k Kind) String() string { return k.Type + " v" + strconv.Itoa(k.Version) }

// Meta carries the envelope fields a producer supplies alongside the
// payload; see Envelope for their meaning.
type Meta struct {
	ID            string
	CorrelationID string
	CausationID   string
	OccurredAt    time.Time
}

var validatorType = reflect.TypeFor[Validator]()

type registration struct {
	goType reflect.Type
	fields []wireField
}

// Registry maps (type, version) to Go payload types. Populate it once with
// Register during initialisation; afterwards it is read-only and safe for
// concurrent use by New, Decode, Lookup and Types. Register is not safe to
// call concurrently with anything.
type Registry struct {
	byKind  map[Kind]registration
	byType  map[reflect.Type]Kind
	upcasts map[Kind]upcast // old version → next version; see Upcast
}

// NewRegistry returns an empty registry. Most code wants Catalog instead.
func NewRegistry() *Registry {
	return &Registry{byKind: map[Kind]registration{}, byType: map[reflect.Type]Kind{}, upcasts: map[Kind]upcast{}}
}

// Register adds p's type under (p.EventType(), p.EventVersion()). p must be
// a struct value (not a pointer) so that Decode hands back immutable values
// and type switches have one case per event.
//
// Register panics on a duplicate kind, an invalid wire name or version, or
// a struct that does not spell out its wire shape (see wireFields): these
// are programming errors that must stop the process at start-up, not
// surface as undecodable events in production.
func (r *Registry) Register(p Payload) {
	t := reflect.TypeOf(p)
	if t == nil || t.Kind() != reflect.Struct {
		panic("events: Register needs a struct value, got " + goTypeName(p))
	}
	if reflect.PointerTo(t).Implements(validatorType) && !t.Implements(validatorType) {
		panic("events: " + t.String() + ".Validate must have a value receiver, or it would never run")
	}
	k := Kind{Type: p.EventType(), Version: p.EventVersion()}
	if !typeRE.MatchString(k.Type) {
		panic("events: " + t.String() + ": event type " + quote(k.Type) + " does not match " + TypePattern)
	}
	if k.Version < 1 {
		panic("events: " + t.String() + ": event version must be >= 1")
	}
	if prev, dup := r.byKind[k]; dup {
		panic("events: " + k.String() + " registered twice (" + prev.goType.String() + ", " + t.String() + ")")
	}
	r.byKind[k] = registration{goType: t, fields: wireFields(t)}
	r.byType[t] = k
}

// Types returns the registered kinds sorted by type, then version.
func (r *Registry) Types() []Kind {
	kinds := make([]Kind, 0, len(r.byKind))
	for k := range r.byKind {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b Kind) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Version, b.Version))
	})
	return kinds
}

// Lookup returns the Go type registered for k, for tooling such as schema
// generation.
func (r *Registry) Lookup(k Kind) (reflect.Type, bool) {
	reg, ok := r.byKind[k]
	return reg.goType, ok
}

// New builds a validated envelope for payload p: the payload is validated
// (see Validator) and marshalled, OccurredAt is normalised to UTC, and the
// envelope is checked with Envelope.Validate. p's type must be registered,
// which guarantees that every event produced can be decoded by the same
// registry; otherwise New fails with ErrUnknownEventType. A version
// superseded by an upcaster (see Upcast) is read-only: New fails with
// ErrVersionSuperseded.
func (r *Registry) New(aggregateID string, seq uint64, p Payload, meta Meta) (Envelope, error) {
	k, ok := r.byType[reflect.TypeOf(p)]
	if !ok {
		return Envelope{}, newError(CodeEventTypeUnknown, "type", goTypeName(p)+" is not registered", nil)
	}
	if r.Superseded(k) {
		return Envelope{}, newError(CodeEventVersionSuperseded, "version", k.String()+" is superseded by "+r.Current(k).String()+" and is never written", nil)
	}
	if err := validatePayload(k, p); err != nil {
		return Envelope{}, err
	}
	raw, err := EncodeJSON(p)
	if err != nil {
		return Envelope{}, newError(CodePayloadInvalid, "payload", "encoding "+k.String(), err)
	}
	e := Envelope{
		ID:            meta.ID,
		Type:          k.Type,
		Version:       k.Version,
		AggregateID:   aggregateID,
		Sequence:      seq,
		CorrelationID: meta.CorrelationID,
		CausationID:   meta.CausationID,
		OccurredAt:    meta.OccurredAt.UTC(),
		Payload:       raw,
	}
	if err := e.validate(true); err != nil { // raw is our own encoding
		return Envelope{}, err
	}
	return e, nil
}

// Decode returns the payload of e as its registered Go type (a struct
// value, never a pointer). It validates e first, then decodes strictly:
// the payload must be one JSON object whose member names match the struct's
// json tags exactly, with no unknown or duplicate members, and with every
// required member present and non-null; nested values are decoded with
// DisallowUnknownFields; finally Validator runs. A superseded version is
// then converted to the current one (see Upcast), so the result's kind may
// be newer than e's. Unknown (type, version) fails with
// ErrUnknownEventType, payload problems with ErrPayloadInvalid (wrapping
// the precise cause, e.g. ErrAmountMalformed).
func (r *Registry) Decode(e Envelope) (Payload, error) {
	// The strict decode below rejects malformed payload JSON itself.
	if err := e.validate(true); err != nil {
		return nil, err
	}
	k := Kind{Type: e.Type, Version: e.Version}
	reg, ok := r.byKind[k]
	if !ok {
		return nil, newError(CodeEventTypeUnknown, "type", k.String()+" is not registered", nil)
	}
	members, err := decodeObject(e.Payload)
	if err != nil {
		return nil, newError(CodePayloadInvalid, "payload", k.String(), err)
	}
	err = checkMembers(members, reg.fields,
		func(name string) error { return newError(CodePayloadInvalid, name, k.String()+": unknown member", nil) },
		func(name string) error { return newError(CodePayloadInvalid, name, k.String()+": required", nil) })
	if err != nil {
		return nil, err
	}
	p, err := decodePayload(k, reg.goType, e.Payload)
	if err != nil {
		return nil, err
	}
	return r.upcastToCurrent(k, p)
}

// decodePayload decodes raw into a new value of goType with unknown
// members refused, then runs its Validator.
func decodePayload(k Kind, goType reflect.Type, raw []byte) (Payload, error) {
	target := reflect.New(goType)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target.Interface()); err != nil {
		return nil, payloadDecodeError(k, err)
	}
	// Decode reads one value; anything after it (a second object,
	// garbage) makes the payload invalid JSON, which UnmarshalOwn leaves
	// to this check.
	if rest := raw[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return nil, newError(CodePayloadInvalid, "payload", k.String()+": data after the payload object", nil)
	}
	p := target.Elem().Interface().(Payload)
	if err := validatePayload(k, p); err != nil {
		return nil, err
	}
	return p, nil
}

// validatePayload runs p's Validator, if any. Errors already classified as
// ErrPayloadInvalid pass through; anything else is wrapped so that every
// payload failure has the same outer code and keeps its cause reachable.
func validatePayload(k Kind, p Payload) error {
	v, ok := p.(Validator)
	if !ok {
		return nil
	}
	err := v.Validate()
	if err == nil || errors.Is(err, ErrPayloadInvalid) {
		return err
	}
	return newError(CodePayloadInvalid, "", k.String(), err)
}

// payloadDecodeError classifies a json decoding failure as a payload
// problem while keeping the cause's own reason code reachable, so
// errors.Is(err, ErrAmountMalformed) still works for a bad nested amount.
func payloadDecodeError(k Kind, err error) error {
	field := ""
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field = typeErr.Field
	}
	return newError(CodePayloadInvalid, field, k.String(), err)
}

func goTypeName(p Payload) string {
	if p == nil {
		return "nil payload"
	}
	return reflect.TypeOf(p).String()
}
