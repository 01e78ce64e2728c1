package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
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

// decodeOwnSlow is UnmarshalOwn without the layout fast path: the
// standard decoder, as before it.
func decodeOwnSlow(data []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, err
	}
	e.OccurredAt = e.OccurredAt.UTC()
	return e, e.validate(true)
}

// The layout fast path must give the standard decoder's envelope for
// everything our encoder writes, and for damaged records either decline
// or agree; a payload it cannot judge is judged by DecodeOwn.
func TestUnmarshalOwnFastPathAgreesWithDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	reg := Catalog()
	taken := 0
	defer func() {
		// A third of the records have a plain correlation ID, two thirds
		// of those are undamaged: about 670 must have taken the fast path.
		if taken < 500 {
			t.Errorf("the fast path took only %d of 3,000 records", taken)
		}
	}()
	for i := range 3000 {
		at := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()
		env, err := reg.New(fmt.Sprintf("agg-%d", rng.IntN(1000)), uint64(1+rng.IntN(1<<20)),
			ProbeSent{ProbeID: fmt.Sprintf("p%d", i), Note: []string{"", "n", "a b", "支付", "\"q\""}[rng.IntN(5)], Amount: CNY("1.50"), SentAt: at},
			Meta{ID: DeriveID("own", strconv.Itoa(i)), CorrelationID: []string{"c", "c\\d", "é"}[rng.IntN(3)], CausationID: "c", OccurredAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(2) == 0 {
			env.Chain = fmt.Sprintf("%064x", rng.Uint64())
		}
		data, err := Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		// Damage some records: a byte changed, dropped or added.
		if i%3 == 1 {
			j := rng.IntN(len(data))
			switch rng.IntN(3) {
			case 0:
				const bytesToTry = "{}\",:0a-\\ 9Z"
				data[j] = bytesToTry[rng.IntN(len(bytesToTry))]
			case 1:
				data = append(data[:j:j], data[j+1:]...)
			default:
				data = append(data[:j:j], append([]byte{"}{\""[rng.IntN(3)]}, data[j:]...)...)
			}
		}
		slow, slowErr := decodeOwnSlow(data)
		fast, ok := parseOwnEnvelope(data)
		if !ok {
			continue
		}
		taken++
		fast.OccurredAt = fast.OccurredAt.UTC()
		fastErr := fast.validate(true)
		if fastErr == nil && slowErr != nil {
			// Only the payload's inner syntax may be left to DecodeOwn.
			if _, err := reg.DecodeOwn(fast); err == nil {
				t.Fatalf("case %d: fast path accepted %s, which the decoder refuses (%v) and DecodeOwn passes", i, data, slowErr)
			}
			continue
		}
		if (fastErr == nil) != (slowErr == nil) {
			t.Fatalf("case %d: %s\nfast err %v, slow err %v", i, data, fastErr, slowErr)
		}
		if fastErr == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("case %d: %s\nfast %+v\nslow %+v", i, data, fast, slow)
		}
	}
}

func TestDecodeOwnRefusesDataAfterThePayload(t *testing.T) {
	reg := Catalog()
	at := time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC)
	env, err := reg.New("agg", 1, ProbeSent{ProbeID: "p", Note: "n", Amount: CNY("1.50"), SentAt: at},
		Meta{ID: DeriveID("trail"), CorrelationID: "c", CausationID: "c", OccurredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	env.Payload = append(append([]byte(nil), env.Payload...), `{"probe_id":"q"}`...)
	if _, err := reg.DecodeOwn(env); !errors.Is(err, ErrPayloadInvalid) {
		t.Fatalf("DecodeOwn = %v, want ErrPayloadInvalid", err)
	}
}
