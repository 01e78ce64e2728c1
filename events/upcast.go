package events

import "reflect"

// Event versioning. A (type, version) that has been written to a log is
// frozen: its Go struct, and so its JSON Schema, never changes again,
// because the log keeps those bytes forever. To change an event's shape,
// register a new version and an upcaster from the previous one:
//
//	r.Register(AccountOpenedV1{}) // the frozen struct, kept for reading
//	r.Register(AccountOpened{})   // the current version, v2
//	Upcast(r, upcastAccountOpenedV1)
//
// Decode then hands every reader the current version only: a v1 record is
// decoded into its frozen struct, validated, and converted step by step
// (v1→v2→...) to the newest version. New refuses superseded versions, so
// writers can only write the current one, and folds never branch on
// versions.

// upcast converts a payload of one version into the next version of the
// same type.
type upcast struct {
	to Kind
	fn func(Payload) Payload
}

// Upcast registers fn as the conversion from From's version of an event
// type to To, the next version of the same type. Both must already be
// registered (Register). From becomes read-only: Registry.New refuses it
// with ErrVersionSuperseded, and Registry.Decode returns fn's result (and
// whatever later upcasters make of it) instead of a From.
//
// fn must be pure and total: it runs on every replay of every old record,
// so it must give the same result each time and cannot fail. Defaults it
// fills in for members the old version lacked must be what the old
// version meant implicitly, so that a log holding both versions folds to
// the state an all-new log would.
//
// Upcast panics when From or To is not registered, when they are not
// consecutive versions of one type, or when From already has an upcaster:
// like Register, it runs at start-up, where such a mistake must stop the
// process rather than surface as an undecodable log.
func Upcast[From, To Payload](r *Registry, fn func(From) To) {
	var from From
	var to To
	fk := Kind{Type: from.EventType(), Version: from.EventVersion()}
	tk := Kind{Type: to.EventType(), Version: to.EventVersion()}
	what := "events: upcaster " + fk.String() + " -> " + tk.String()
	for _, c := range []struct {
		k Kind
		t reflect.Type
	}{{fk, reflect.TypeFor[From]()}, {tk, reflect.TypeFor[To]()}} {
		reg, ok := r.byKind[c.k]
		switch {
		case !ok:
			panic(what + ": " + c.k.String() + " is not registered; Register it first")
		case reg.goType != c.t:
			panic(what + ": " + c.k.String() + " is registered as " + reg.goType.String() + ", not " + c.t.String())
		}
	}
	switch {
	case fn == nil:
		panic(what + ": nil conversion")
	case fk.Type != tk.Type:
		panic(what + ": an upcaster converts between versions of one type")
	case tk.Version != fk.Version+1:
		panic(what + ": versions must be consecutive")
	}
	if prev, dup := r.upcasts[fk]; dup {
		panic(what + ": " + fk.String() + " already upcasts to " + prev.to.String())
	}
	r.upcasts[fk] = upcast{to: tk, fn: func(p Payload) Payload { return fn(p.(From)) }}
}

// Current returns the version of k's type that k's payloads are decoded
// into: k itself unless an upcaster supersedes it.
func (r *Registry) Current(k Kind) Kind {
	for {
		u, ok := r.upcasts[k]
		if !ok {
			return k
		}
		k = u.to
	}
}

// Superseded reports whether k is an old version that is read through an
// upcaster and never written.
func (r *Registry) Superseded(k Kind) bool {
	_, ok := r.upcasts[k]
	return ok
}

// upcastToCurrent converts p, a decoded and validated payload of kind k,
// to the current version of its type, validating each version it passes
// through. The loop is bounded: each step raises the version, and only
// registered versions have upcasters.
func (r *Registry) upcastToCurrent(k Kind, p Payload) (Payload, error) {
	for {
		u, ok := r.upcasts[k]
		if !ok {
			return p, nil
		}
		p, k = u.fn(p), u.to
		if err := validatePayload(k, p); err != nil {
			return nil, err
		}
	}
}
