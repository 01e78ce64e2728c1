package events

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// The hand-written envelope encoder must give exactly the bytes of the
// reflective encoder: chain values and deduplication hash these bytes.
// Strings cover what needs escaping (quotes, backslashes, control
// characters, HTML, U+2028, invalid UTF-8, non-ASCII), payloads with and
// without whitespace, times with and without nanoseconds, chain set or
// not.
func TestAppendEnvelopeMatchesReflectiveEncoder(t *testing.T) {
	pieces := []string{"a", "TXN-1", "0", "-", "_", ".", "\"", "\\", "\n", "\t", "\x01", "\x1f", "<", ">", "&",
		"\u2028", "\u2029", "é", "支付", "\xff", "\xe2\x80", " ", "/", "{}"}
	payloads := []string{`{}`, `{"a":1}`, `{"amount":{"amount":"1.00","currency":"CNY"},"note":"x y"}`,
		"{ \"a\" : [1, 2,\n3] }", `{"s":"tab\there"}`, `{"h":"<b>&amp;</b>"}`, `{"u":"\u2028"}`}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		var b []byte
		for range rng.IntN(6) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		return string(b)
	}
	for i := range 5000 {
		e := Envelope{
			ID: DeriveID("enc", str()), Type: "payment.started", Version: 1 + rng.IntN(3),
			AggregateID: str(), Sequence: rng.Uint64(), CorrelationID: str(), CausationID: str(),
			OccurredAt: time.Unix(rng.Int64N(4e9), []int64{0, 1, 500, 123456789}[rng.IntN(4)]).UTC(),
			Payload:    []byte(payloads[rng.IntN(len(payloads))]),
		}
		if rng.IntN(2) == 0 {
			e.Chain = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		}
		want, err := EncodeJSON(e)
		if err != nil {
			t.Fatal(err)
		}
		got := appendEnvelope(nil, e)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: appendEnvelope\n %s\nEncodeJSON\n %s", i, got, want)
		}
	}
}
