// Package intake is paycore's front door for upstream channels (payment
// institutions). It consumes the requests topic, where channels publish raw
// JSON with any Kafka client, and turns each record into exactly one of:
//
//   - a command for the processor that owns the request (saga.start_payment,
//     saga.start_signing, saga.submit_sms_code on the saga inbox;
//     payer.terminate_agreement on the payer inbox), or
//   - a rejection: an events.Outcome with status "rejected" and a stable
//     reason code on the outcomes topic, plus the record kept verbatim as an
//     events.Rejected on the rejects topic, so nothing a channel sent is
//     ever dropped silently (DOMAIN.md, invariant 5).
//
// The intake is stateless: it validates shape and syntax only. Whether an
// idempotency key was seen before, whether an agreement is active or a
// balance suffices is decided by the processors that own that state. What
// makes repeats safe here is determinism: a request published twice yields
// the same command, with the same IDs, and its owner recognises it.
//
// Untrusted input is checked in increasing order of cost: size, UTF-8,
// nesting depth (one linear scan, before any parser allocates), JSON
// syntax, the strict envelope, the request type and version, envelope
// fields, and finally the type's body. The first failure decides the
// reason code, so a given record always gets the same answer.
//
// The JSON Schemas and the channel developer guide in schemas/requests are
// generated from this package's rules by package reqschema.
package intake
