package payerbank

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

func TestTerminateAgreement(t *testing.T) {
	refused := func(no, code string) events.Payload {
		return events.TerminationRefused{AgreementNo: no, RequestID: "R", BodyHash: "h", ReasonCode: code}
	}
	tests := []struct {
		name       string
		given      func(w *world)
		when       func(w *world) events.TerminateAgreement
		then       func(w *world) events.Payload
		wantStatus AgreementStatus
	}{
		{
			name: "terminated",
			when: func(w *world) events.TerminateAgreement { return terminateCmd(alice, w.agr, chanA, "R", "h") },
			then: func(w *world) events.Payload {
				return events.AgreementTerminated{AgreementNo: w.agr, RequestID: "R", BodyHash: "h"}
			},
			wantStatus: AgreementTerminated,
		},
		{
			name: "agreement_not_found",
			when: func(w *world) events.TerminateAgreement {
				return terminateCmd(alice, agreementNo(alice, "never"), chanA, "R", "h")
			},
			then: func(*world) events.Payload {
				return refused(agreementNo(alice, "never"), events.ReasonAgreementNotFound)
			},
			wantStatus: AgreementActive,
		},
		{
			name:       "agreement_not_found: another customer's agreement",
			when:       func(w *world) events.TerminateAgreement { return terminateCmd(alice, w.carolAgr, chanA, "R", "h") },
			then:       func(w *world) events.Payload { return refused(w.carolAgr, events.ReasonAgreementNotFound) },
			wantStatus: AgreementActive,
		},
		{
			name:       "agreement_other_channel",
			when:       func(w *world) events.TerminateAgreement { return terminateCmd(alice, w.agr, chanB, "R", "h") },
			then:       func(w *world) events.Payload { return refused(w.agr, events.ReasonAgreementOtherChan) },
			wantStatus: AgreementActive,
		},
		{
			name:       "agreement_terminated",
			given:      func(w *world) { w.do("terminate R0", terminateCmd(alice, w.agr, chanA, "R0", "h0")) },
			when:       func(w *world) events.TerminateAgreement { return terminateCmd(alice, w.agr, chanA, "R", "h") },
			then:       func(w *world) events.Payload { return refused(w.agr, events.ReasonAgreementTerminated) },
			wantStatus: AgreementTerminated,
		},
		{
			name:       "agreement_other_channel before agreement_terminated",
			given:      func(w *world) { w.do("terminate R0", terminateCmd(alice, w.agr, chanA, "R0", "h0")) },
			when:       func(w *world) events.TerminateAgreement { return terminateCmd(alice, w.agr, chanB, "R", "h") },
			then:       func(w *world) events.Payload { return refused(w.agr, events.ReasonAgreementOtherChan) },
			wantStatus: AgreementTerminated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.given != nil {
				tt.given(w)
			}
			c := tt.when(w)
			out := w.do("terminate R", c)
			want := tt.then(w)
			ev := recorded(t, out, want)
			if rs := replies(t, out); len(rs) != 0 {
				t.Errorf("sent %d saga replies; terminate has no saga", len(rs))
			}
			os := outcomes(t, out)
			if len(os) != 1 {
				t.Fatalf("%d outcomes, want 1", len(os))
			}
			o := os[0]
			wantOutcome := events.Outcome{
				OutcomeID: events.DeriveID("R", "outcome"), RequestType: events.RequestTerminateAgreement,
				ChannelID: c.ChannelID, OrderID: "order-R", IdempotencyKey: "key-R",
				Status: events.StatusTerminated, AgreementNo: c.AgreementNo, DecidedAt: ev.OccurredAt,
			}
			if r, ok := want.(events.TerminationRefused); ok {
				wantOutcome.Status = events.StatusRejected
				wantOutcome.ReasonCode = r.ReasonCode
				wantOutcome.Reason = events.Reasons[r.ReasonCode]
			}
			if o != wantOutcome {
				t.Errorf("outcome\n got %+v\nwant %+v", o, wantOutcome)
			}
			if v, _ := w.h.Agreement(w.agr); v.Status != tt.wantStatus {
				t.Errorf("agreement %s, want %s", v.Status, tt.wantStatus)
			}
		})
	}
}

// The bank keeps a terminate request's idempotency: the same request ID
// and body get the same outcome; another body is rejected and changes
// nothing.
func TestTerminateAgreementIdempotency(t *testing.T) {
	w := newWorld(t)
	first := w.do("terminate", terminateCmd(alice, w.agr, chanA, "R", "h"))

	// The channel sends the request again: a new command, same request.
	w.at(t0.Add(time.Hour))
	again := w.do("terminate again", terminateCmd(alice, w.agr, chanA, "R", "h"))
	if len(again.Events) != 0 {
		t.Fatalf("a repeated request recorded %d events", len(again.Events))
	}
	if string(again.Messages[0].Value) != string(first.Messages[0].Value) {
		t.Fatalf("a repeated request got another outcome:\n%s\n%s", again.Messages[0].Value, first.Messages[0].Value)
	}

	dup := w.do("terminate other body", terminateCmd(alice, w.agr, chanA, "R", "h2"))
	if len(dup.Events) != 0 {
		t.Fatalf("a reused key recorded %d events", len(dup.Events))
	}
	o := outcomes(t, dup)[0]
	if o.Status != events.StatusRejected || o.ReasonCode != events.ReasonDuplicateKeyNewBody {
		t.Fatalf("reused key answered %s/%s", o.Status, o.ReasonCode)
	}
	if o.OutcomeID == outcomes(t, first)[0].OutcomeID {
		t.Error("the rejection reuses the original OutcomeID; the channel would drop it")
	}
	// And the original decision still stands, answered as before.
	if again := w.do("terminate third time", terminateCmd(alice, w.agr, chanA, "R", "h")); string(again.Messages[0].Value) != string(first.Messages[0].Value) {
		t.Error("the original answer changed after a reused key")
	}
}
