package events

import "time"

// ProbeSent records that an operator sent a diagnostic probe (the `probe`
// command) to check the Kafka → ClickHouse path end to end. It moves no
// money; Amount exists so the probe also exercises the money encoding in
// every hop.
type ProbeSent struct {
	// ProbeID identifies the probe; the operator looks it up in ClickHouse.
	ProbeID string `json:"probe_id"`
	// Note is free text from the operator; it may be empty.
	Note string `json:"note"`
	// Amount is an arbitrary test amount; any valid CNY Money.
	Amount Money `json:"amount"`
	// SentAt is when the operator's command sent the probe.
	SentAt time.Time `json:"sent_at"`
}

// EventType implements Payload.
func (ProbeSent) EventType() string { return "diagnostics.probe_sent" }

// EventVersion implements Payload.
func (ProbeSent) EventVersion() int { return 1 }

// Validate implements Validator: ProbeID and SentAt must be set, and Amount
// must not be the unset Money.
func (p ProbeSent) Validate() error {
	switch {
	case p.ProbeID == "":
		return newError(CodePayloadInvalid, "probe_id", "required", nil)
	case !p.Amount.Currency().IsValid():
		return newError(CodePayloadInvalid, "amount", "required", nil)
	case p.SentAt.IsZero():
		return newError(CodePayloadInvalid, "sent_at", "required", nil)
	}
	return nil
}
