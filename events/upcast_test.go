package events

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Three versions of one test event: v1 had a count, v2 a unit as well,
// v3 renamed count to quantity and refuses a negative one.
type stockV1 struct {
	Count int `json:"count"`
}

func (stockV1) EventType() string { return "test.stock" }
func (stockV1) EventVersion() int { return 1 }

type stockV2 struct {
	Count int    `json:"count"`
	Unit  string `json:"unit"`
}

func (stockV2) EventType() string { return "test.stock" }
func (stockV2) EventVersion() int { return 2 }

type stockV3 struct {
	Quantity int    `json:"quantity"`
	Unit     string `json:"unit"`
}

func (stockV3) EventType() string { return "test.stock" }
func (stockV3) EventVersion() int { return 3 }
func (s stockV3) Validate() error {
	if s.Quantity < 0 {
		return errors.New("negative quantity")
	}
	return nil
}

func stockRegistry() *Registry {
	r := NewRegistry()
	r.Register(stockV1{})
	r.Register(stockV2{})
	r.Register(stockV3{})
	Upcast(r, func(v stockV1) stockV2 { return stockV2{Count: v.Count, Unit: "piece"} })
	Upcast(r, func(v stockV2) stockV3 { return stockV3{Quantity: v.Count, Unit: v.Unit} })
	return r
}

func stockEnvelope(version int, payload string) Envelope {
	return Envelope{
		ID: DeriveID("stock", payload), Type: "test.stock", Version: version, AggregateID: "s-1", Sequence: 1,
		CorrelationID: "c", CausationID: "c", OccurredAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Payload: []byte(payload),
	}
}

// TestDecodeUpcastsEveryOldVersionToTheCurrent: readers see the current
// version only, whatever version the log holds, through Decode and
// DecodeOwn alike.
func TestDecodeUpcastsEveryOldVersionToTheCurrent(t *testing.T) {
	r := stockRegistry()
	want := stockV3{Quantity: 7, Unit: "piece"}
	for _, env := range []Envelope{
		stockEnvelope(1, `{"count":7}`),
		stockEnvelope(2, `{"count":7,"unit":"piece"}`),
		stockEnvelope(3, `{"quantity":7,"unit":"piece"}`),
	} {
		for name, decode := range map[string]func(Envelope) (Payload, error){"Decode": r.Decode, "DecodeOwn": r.DecodeOwn} {
			p, err := decode(env)
			if err != nil {
				t.Fatalf("%s of v%d: %v", name, env.Version, err)
			}
			if p != want {
				t.Fatalf("%s of v%d = %#v, want %#v", name, env.Version, p, want)
			}
		}
	}
	// The current version's rules apply to upcast payloads too.
	_, err := r.Decode(stockEnvelope(1, `{"count":-1}`))
	wantCode(t, err, CodePayloadInvalid)
	// An old record is still decoded strictly, by its own shape.
	_, err = r.Decode(stockEnvelope(1, `{"count":7,"unit":"piece"}`))
	wantCode(t, err, CodePayloadInvalid)
}

func TestUnknownVersionIsAClearError(t *testing.T) {
	_, err := stockRegistry().Decode(stockEnvelope(4, `{"quantity":7,"unit":"piece"}`))
	wantCode(t, err, CodeEventTypeUnknown)
	if !strings.Contains(err.Error(), "test.stock v4 is not registered") {
		t.Fatalf("error %q does not name the kind", err)
	}
}

func TestNewWritesOnlyTheCurrentVersion(t *testing.T) {
	r := stockRegistry()
	meta := Meta{ID: DeriveID("m"), CorrelationID: "c", CausationID: "c", OccurredAt: time.Now()}
	for _, p := range []Payload{stockV1{Count: 1}, stockV2{Count: 1, Unit: "kg"}} {
		_, err := r.New("s-1", 1, p, meta)
		wantCode(t, err, CodeEventVersionSuperseded)
		if !errors.Is(err, ErrVersionSuperseded) || !strings.Contains(err.Error(), "superseded by test.stock v3") {
			t.Fatalf("writing %T: %v", p, err)
		}
	}
	if _, err := r.New("s-1", 1, stockV3{Quantity: 1, Unit: "kg"}, meta); err != nil {
		t.Fatal(err)
	}
	if got := r.Current(Kind{"test.stock", 1}); got != (Kind{"test.stock", 3}) {
		t.Fatalf("Current(v1) = %v", got)
	}
	if !r.Superseded(Kind{"test.stock", 2}) || r.Superseded(Kind{"test.stock", 3}) {
		t.Fatal("Superseded is wrong")
	}
}

func TestUpcastPanics(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*Registry)
		want  string
	}{
		{"from an unregistered version", func(r *Registry) {
			r.Register(stockV2{})
			Upcast(r, func(v stockV1) stockV2 { return stockV2{} })
		}, "test.stock v1 is not registered"},
		{"to an unregistered version", func(r *Registry) {
			r.Register(stockV1{})
			Upcast(r, func(v stockV1) stockV2 { return stockV2{} })
		}, "test.stock v2 is not registered"},
		{"skipping a version", func(r *Registry) {
			r.Register(stockV1{})
			r.Register(stockV3{})
			Upcast(r, func(v stockV1) stockV3 { return stockV3{} })
		}, "consecutive"},
		{"to another type", func(r *Registry) {
			r.Register(stockV1{})
			r.Register(otherEventV2{})
			Upcast(r, func(v stockV1) otherEventV2 { return otherEventV2{} })
		}, "one type"},
		{"twice", func(r *Registry) {
			r.Register(stockV1{})
			r.Register(stockV2{})
			Upcast(r, func(v stockV1) stockV2 { return stockV2{} })
			Upcast(r, func(v stockV1) stockV2 { return stockV2{} })
		}, "already upcasts"},
		{"nil", func(r *Registry) {
			r.Register(stockV1{})
			r.Register(stockV2{})
			Upcast[stockV1, stockV2](r, nil)
		}, "nil conversion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic = %q, want it to mention %q", msg, tt.want)
				}
			}()
			tt.setup(NewRegistry())
		})
	}
}

// The catalog's payer.account_opened v1 reads as v2 with the document
// type v1 implied.
func TestCatalogUpcastsAccountOpenedV1(t *testing.T) {
	r := Catalog()
	env := stockEnvelope(1, `{"payer_key":"pk","account":"6222","holder_name":"张三","id_number":"110101199001011234","phone":"138","opening_balance":{"amount":"10.00","currency":"CNY"}}`)
	env.Type = "payer.account_opened"
	p, err := r.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := p.(AccountOpened)
	want := AccountHolder{Name: "张三", IDType: IDTypeResidentID, IDNumber: "110101199001011234", Phone: "138"}
	if !ok || got.Holder != want || got.PayerKey != "pk" || got.Account != "6222" || !got.OpeningBalance.Equal(CNY("10.00")) {
		t.Fatalf("v1 decoded as %#v", p)
	}
	if r.Current(Kind{"payer.account_opened", 1}) != (Kind{"payer.account_opened", 2}) {
		t.Fatal("payer.account_opened v1 is not superseded by v2")
	}
	// v2 requires the document type.
	env.Version, env.Payload = 2, []byte(`{"payer_key":"pk","account":"6222","holder":{"name":"张三","id_type":"","id_number":"1","phone":"138"},"opening_balance":{"amount":"10.00","currency":"CNY"}}`)
	_, err = r.Decode(env)
	wantCode(t, err, CodePayloadInvalid)
}
