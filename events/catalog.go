package events

// Regenerate schemas/events after adding or changing an event type; the
// schemagen drift test fails until you do.
//go:generate go run ./internal/genschemas -out ../schemas/events

// Catalog returns a new registry holding every event type paycore writes or
// reads. It is the single place where event types are registered: a type
// missing here cannot be produced (Registry.New) or consumed
// (Registry.Decode), and gets no JSON Schema.
//
// Build it once at start-up and share it; it is safe for concurrent use.
// Each call returns a fresh registry, so callers cannot affect each other by
// registering extra types.
func Catalog() *Registry {
	r := NewRegistry()

	// Diagnostics.
	r.Register(ProbeSent{})

	// Domain events (payments, reserve fund, ...) are registered here as
	// they are introduced, grouped by aggregate. Never remove or reuse a
	// (type, version) that has been written to a log: add a new version.

	return r
}
