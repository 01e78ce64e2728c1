package intake

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/paycore/paycore/events"
)

// FuzzIntake feeds arbitrary bytes to the intake. Whatever the input, it
// must not panic or fail, and must produce exactly one command that its
// receiver can decode, or exactly one outcome and one reject that keep the
// record verbatim with a documented reason code.
func FuzzIntake(f *testing.F) {
	for _, tt := range rejectionCases(f) {
		f.Add(tt.value)
	}
	for _, valid := range []string{payRequest(f), signRequest(), confirmRequest(), terminateRequest(f)} {
		f.Add([]byte(valid))
	}
	h := testHandler(f)
	reg := events.Catalog()
	f.Fuzz(func(t *testing.T, value []byte) {
		out, err := h.Handle(message(value))
		if err != nil {
			t.Fatalf("error for input %q: %v", value, err)
		}
		if len(out.Events) != 0 {
			t.Fatalf("intake wrote %d events", len(out.Events))
		}
		switch len(out.Messages) {
		case 1:
			cmd := out.Messages[0]
			if cmd.Topic != h.cfg.Topics.SagaInbox && cmd.Topic != h.cfg.Topics.PayerInbox {
				t.Fatalf("command on topic %s", cmd.Topic)
			}
			env, err := events.Unmarshal(cmd.Value)
			if err != nil {
				t.Fatalf("command does not decode: %v", err)
			}
			if _, err := reg.Decode(env); err != nil {
				t.Fatalf("command payload does not decode: %v", err)
			}
			if env.AggregateID != cmd.Key {
				t.Fatalf("command keyed %q, aggregate %q", cmd.Key, env.AggregateID)
			}
		case 2:
			outcome, kept := out.Messages[0], out.Messages[1]
			if outcome.Topic != h.cfg.Topics.Outcomes || kept.Topic != h.cfg.Topics.Rejects {
				t.Fatalf("rejection on topics %s, %s", outcome.Topic, kept.Topic)
			}
			var o events.Outcome
			if err := json.Unmarshal(outcome.Value, &o); err != nil {
				t.Fatalf("outcome does not decode: %v", err)
			}
			if _, ok := events.Reasons[o.ReasonCode]; !ok || o.Status != events.StatusRejected {
				t.Fatalf("outcome %+v", o)
			}
			var r events.Rejected
			if err := json.Unmarshal(kept.Value, &r); err != nil {
				t.Fatalf("reject does not decode: %v", err)
			}
			if !bytes.Equal(r.Raw, value) || r.ReasonCode != o.ReasonCode {
				t.Fatalf("reject %+v does not keep the record %q", r, value)
			}
		default:
			t.Fatalf("want 1 command or outcome+reject, got %d messages", len(out.Messages))
		}
	})
}
