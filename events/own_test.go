package events

import (
	"errors"
	"testing"
	"time"
)

// The own-record path must agree with the strict path on everything our
// encoder can produce, and still refuse what breaks the contract.
func TestOwnPathAgreesWithStrictPath(t *testing.T) {
	reg := Catalog()
	at := time.Date(2026, 11, 29, 1, 2, 3, 4, time.UTC)
	env, err := reg.New("agg", 3, ProbeSent{ProbeID: "p", Note: "n", Amount: CNY("1.50"), SentAt: at},
		Meta{ID: DeriveID("x"), CorrelationID: "c", CausationID: "c", OccurredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	own, err := UnmarshalOwn(data)
	if err != nil {
		t.Fatal(err)
	}
	if string(own.Payload) != string(strict.Payload) || own.ID != strict.ID || !own.OccurredAt.Equal(strict.OccurredAt) {
		t.Fatalf("own %+v != strict %+v", own, strict)
	}
	p1, err := reg.Decode(strict)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := reg.DecodeOwn(own)
	if err != nil {
		t.Fatal(err)
	}
	if p1.(ProbeSent).Amount.String() != p2.(ProbeSent).Amount.String() || p1.(ProbeSent).ProbeID != p2.(ProbeSent).ProbeID {
		t.Fatalf("payloads differ: %+v vs %+v", p1, p2)
	}

	for name, bad := range map[string]string{
		"unknown member": `{"probe_id":"p","note":"","amount":{"amount":"1.00","currency":"CNY"},"sent_at":"2026-11-29T00:00:00Z","extra":1}`,
		"float amount":   `{"probe_id":"p","note":"","amount":{"amount":1.5,"currency":"CNY"},"sent_at":"2026-11-29T00:00:00Z"}`,
		"empty probe id": `{"probe_id":"","note":"","amount":{"amount":"1.00","currency":"CNY"},"sent_at":"2026-11-29T00:00:00Z"}`,
	} {
		e := env
		e.Payload = []byte(bad)
		if _, err := reg.DecodeOwn(e); !errors.Is(err, ErrPayloadInvalid) {
			t.Errorf("%s: DecodeOwn err = %v, want payload_invalid", name, err)
		}
	}
	if _, err := UnmarshalOwn([]byte(`{"id":"x"}`)); err == nil {
		t.Error("UnmarshalOwn accepted an envelope without its fields")
	}
}
