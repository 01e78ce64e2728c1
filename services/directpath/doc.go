// Package directpath is the legacy direct path (直连) of the cutover: the
// processor that runs a payment over an institution's old direct link to
// the payer bank, in parallel with the NetsUnion sagas, and the legacy
// refunds of those payments.
//
// It consumes direct.inbox and appends to direct.events, both keyed by
// aggregate: a direct payment and its legacy refunds by TxnID (so "the
// refunds never exceed the payment" is checked inside one aggregate, with
// no lock), and each institution's legacy ledger by
// events.LegacyLedgerKey(channel).
//
// # Payment
//
// The cutover router sends direct.start_payment for a payment whose first
// routing decision was the direct path. The payment is one leg:
// payer.direct_debit to the payer bank, which checks the agreement (signed
// over NetsUnion or imported from the direct era), its limits and the
// balance, and debits. Where the money goes, the institution's settlement
// at the payer bank, is outside paycore, as it was before NetsUnion. With
// no answer by the leg timeout the path queries the debit
// (payer.query_direct_debit) every query interval; a debit still unknown at
// the final deadline ends the payment presumed_failure (payer_leg_unknown).
// The bank closes a debit it never received when queried, so a late debit
// cannot execute after that. Final statuses: success, failure (the bank's
// reason), presumed_failure; the outcome carries path "direct" and the
// rules version that routed the payment.
//
// # Legacy refunds
//
// A legacy_refund names a direct payment; the intake adds the institution's
// method from the cutover rules. Checks, in order: the payment exists here
// (not_direct_payment), belongs to the channel (refund_other_channel), has
// finished with success (payment_not_refundable), the idempotency key was
// not used with another body (duplicate_key_different_body), and the
// amount fits in what is left (refund_exceeds_original: refunds running,
// succeeded, presumed or redirected hold their amount; a failed one gives
// it back). Then, by method:
//
//   - closed: direct.refund_redirected, outcome redirected with
//     refund_path_closed; the institution pays the customer by super online
//     banking (超级网银). No money moves in paycore.
//   - bank_advance: the payer bank credits the customer at once
//     (payer.direct_refund_credit, funding bank_advance); on success the
//     ledger records the institution's debt (direct.refund_advanced), which
//     `paycore legacy repay` reduces (direct.advance_repaid).
//   - prefund: the ledger draws the amount from the institution's prefunded
//     balance (direct.prefund_drawn, or prefund_insufficient: failure);
//     then the payer bank credits the customer (funding prefund). A refused
//     credit returns the amount to the prefunded balance
//     (direct.prefund_returned) before the refund fails.
//
// The credit has a deadline and status queries like the debit; a credit
// still unknown at its final deadline ends the refund presumed_success
// (payer_credit_unknown), and a bank_advance refund then records the debt,
// as the claim is that the bank paid.
//
// # Redelivery
//
// Every command and event ID derives from what caused it, and every
// message is answered from the state: a message that caused its
// aggregate's latest event is answered again with that event's effects, a
// repeated start with the current answer, a reply to a finished payment or
// refund with its outcome. The ledger answers a repeated draw or return
// with its original reply and ignores a repeated advance, funding or
// repayment.
//
// The processor keeps no snapshots: it runs only during the cutover, and
// its log is small next to the sagas'. A new owner folds the partition's
// whole log.
package directpath
