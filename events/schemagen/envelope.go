package schemagen

import (
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/paycore/paycore/events"
)

// uuidPattern is the lowercase canonical UUID form events.Envelope.Validate
// requires for IDs.
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

// envelopeSchema reflects events.Envelope and then adds the constraints that
// Envelope.Validate enforces in code, so the schema rejects what the codec
// rejects. A renamed field makes the generator panic rather than silently
// drop a constraint.
func envelopeSchema() *jsonschema.Schema {
	s := reflector().ReflectFromType(reflect.TypeFor[events.Envelope]())
	s.ID = jsonschema.ID(baseID + EnvelopeFile)
	s.Title = "paycore event envelope"
	s.Description = "One event as stored in the event log and published on Kafka. " +
		"The payload's schema is the file TYPE.vVERSION.json next to this one."
	s.Comments = generatedComment()

	one := uint64(1)
	constrain(s, "id", func(p *jsonschema.Schema) { p.Pattern = uuidPattern })
	constrain(s, "type", func(p *jsonschema.Schema) { p.Pattern = events.TypePattern })
	constrain(s, "version", func(p *jsonschema.Schema) { p.Minimum = "1" })
	constrain(s, "aggregate_id", func(p *jsonschema.Schema) { p.MinLength = &one })
	constrain(s, "sequence", func(p *jsonschema.Schema) { p.Minimum = "1" })
	constrain(s, "correlation_id", func(p *jsonschema.Schema) { p.MinLength = &one })
	constrain(s, "causation_id", func(p *jsonschema.Schema) { p.MinLength = &one })
	constrain(s, "payload", func(p *jsonschema.Schema) { p.Type = "object" })
	constrain(s, "chain", func(p *jsonschema.Schema) { p.Pattern = events.ChainPattern })
	return s
}

func constrain(s *jsonschema.Schema, property string, apply func(*jsonschema.Schema)) {
	p, ok := s.Properties.Get(property)
	if !ok {
		panic("schemagen: events.Envelope has no JSON member " + property)
	}
	apply(p)
}
