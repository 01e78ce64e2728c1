// Package saga is the NetsUnion switch (网联平台): it orchestrates every
// agreement payment and agreement signing as a saga, one
// processor.Handler per partition of saga.inbox and saga.events, keyed by
// transaction ID (payments) or signing ID (signings).
//
// Each saga is a state machine with a pure decision per message (state +
// message + message time → at most one event, or nothing) and a fold
// (Handler.Apply) that panics on a transition the decisions cannot make.
// Payments live in payment*.go, signings in signing*.go, one file per
// kind of message.
//
// # Payment (协议支付)
//
//	step                       message                                   → next (sends)
//	—                          start_payment                             → await_payer (DebitPayer)
//	await_payer, query_payer   payer_debited, status done                → await_reserve (CreditReserve)
//	                           payer_debit_refused, status refused       → failure, the bank's reason
//	                           deadline before the payer final deadline  → query_payer n+1 (QueryDebit)
//	                           deadline at/after it                      → presumed_failure, payer_leg_unknown
//	await_reserve,             reserve_credited, status done             → success
//	query_reserve              reserve_credit_refused, status refused    → await_reversal (ReverseDebit)
//	                           deadline before the reserve final d.      → query_reserve n+1 (QueryCredit)
//	                           deadline at/after it                      → presumed_success, reserve_leg_unknown
//	await_reversal             payer_debit_reversed, status reversed     → failure, the reserve's reason
//	                           deadline                                  → await_reversal n+1 (ReverseDebit again)
//
// A status answer "unknown" changes nothing: the query step asks again at
// its next deadline. The payer leg's final deadline runs from the start
// (PayerFinalTimeout), the reserve leg's from the debit
// (ReserveFinalTimeout). A reversal is never presumed: the customer's
// money must come back, so it is re-sent every QueryInterval until the
// bank confirms it. Every payment.finished sends exactly one
// events.Outcome, ID DeriveID(txnID, "outcome"), keyed by the order ID.
//
// # Correction (差错处理)
//
// Reconciliation compares a batch with the banks' files and asks a
// finished payment to put the money right with saga.correct_payment. The
// payment's final status never changes and it records no second
// payment.finished (invariant 2): the correction is a flow beside it, with
// events of its own and a correlation ID of its own,
// DeriveID(txnID, "correction", discrepancyID).
//
//	status                    action           → sends
//	failure, presumed_failure refund_customer  → correction_started, ReverseDebit
//	presumed_success          credit_reserve   → correction_started, CreditReserve
//
//	awaiting         message                              → event (sends)
//	ReverseDebit     payer_debit_reversed                 → corrected refund_customer
//	                 debit status refused or reversed     → corrected refund_customer, zero
//	CreditReserve    reserve_credited                     → corrected credit_reserve
//	                 reserve_credit_refused               → correction_started refund_customer (ReverseDebit)
//	either           deadline                             → correction_started, same action (command, next attempt)
//
// A correction is re-sent like the payment's own reversal, LegTimeout
// after the first attempt and every QueryInterval after that, until the
// bank answers; it is never presumed, because money is out of place until
// it ends. Each attempt is one payment.correction_started and a command
// with an ID of its own, so the bank link's faults, decided by ID, do not
// hit every attempt alike.
//
// payment.corrected ends every correction, and its Amount says what the
// correction itself moved: the payment's amount, or zero. A bank decides a
// transaction once and answers a command about a decided one with the
// original decision: the customer's debit was already reversed, or the
// reserve credit happened after all. Then nothing moved now, and the
// decision's correlation (the payment's, not the correction's) tells. A
// correction must still record that it ended, or its deadline would
// re-send forever, so "nothing moved" is a payment.corrected with a zero
// amount, not the absence of one; consumers add Amount and count nothing
// twice.
//
// A reserve bank that refuses the correction's credit (the account is
// closed, or a late status query closed the transaction as not received)
// will not take the money, so the customer gets it back, as a running
// payment does when the reserve refuses: the correction turns into a
// refund_customer and ends with payment.corrected refund_customer.
//
// A payment takes one correction at most. A correct_payment for a running
// payment, an unknown transaction, an action that does not fit the final
// status, or a payment that has a correction already (the same
// discrepancy again, or another one) records nothing, sends nothing and
// is not an error: reconciliation may race a batch or re-run, and the
// money is being, or has been, put right. Only a correct_payment without
// a discrepancy ID is poison (ErrInvalidCommand). Replies that do not
// answer the correction's command (the payment's own late replies and
// status reports) change nothing, as for any finished payment.
//
// # Signing (协议签约)
//
//	step             message                               → next (sends)
//	—                start_signing                         → await_bank (VerifySigning)
//	await_bank       signing_verified                      → await_code (outcome sms_sent, sign order)
//	                 deadline before the signing deadline  → await_bank (VerifySigning again)
//	await_code       submit_sms_code                       → await_agreement (ConfirmAgreement)
//	                 deadline (the code's expiry)          → signing_failed, sms_code_expired
//	await_agreement  agreement_signed                      → signed (outcome signed, confirm order)
//	                 sms_code_rejected                     → await_code (outcome rejected sms_code_invalid, confirm order)
//	                 deadline before the signing deadline  → await_agreement (ConfirmAgreement again)
//	await_bank,      deadline past the signing deadline    → signing_failed, payer_leg_unknown
//	await_agreement
//	any              signing_refused                       → signing_failed, the bank's reason
//
// A failed signing is answered with status signing_failed and the reason
// code, not "rejected": the request was valid and reached the bank. The
// final status answers the confirm request awaiting the bank when the
// signing ended, and otherwise the sign request, which has then had two
// answers: sms_sent and the final one. A confirm request arriving while no
// code is awaited is refused with signing_not_pending; one for an unknown
// signing, or another channel's, with signing_not_found.
//
// # Idempotency and redelivery
//
// A payment's TxnID and a signing's ID derive from the channel and the
// request's idempotency key, so a repeated request reaches its saga: same
// body hash → answered with where the saga stands (current command, or
// the final outcome), nothing recorded; different body hash → rejected
// with duplicate_key_different_body for the new request's order, and kept
// on the rejects topic. Confirm requests are deduplicated the same way by
// idempotency key within their signing.
//
// Every ID the sagas send is derived from saga state, never from the
// message being handled, and every command envelope is built from the
// event that entered its step. So whatever re-sends a record (a
// redelivered message, a repeated request, a deadline) sends the very same
// record, and receivers drop it by ID. A saga remembers which message
// caused its latest event; when that message is redelivered (a crash
// between produce and commit) it is answered with what the event sent and
// decides nothing. Replies to a finished saga, or to a step the saga has
// left, are ignored.
//
// # Deadlines
//
// Each running saga, and each running correction, has one deadline,
// indexed in a heap (timers.go). Due returns a saga.fire_deadline command
// per passed deadline; handling that command, not the timer, moves the
// saga, and only the current deadline counts, so each deadline takes
// effect once.
//
// # Memory
//
// A finished saga drops its working state (and a verified signing drops
// the holder's identity data): it keeps what answering repeats needs, the
// request's order, key and body hash, the final status, and, for signings,
// each confirm request's answer. A payment whose status a correction may
// fit keeps the payer key (failure, presumed_failure, presumed_success)
// and the reserve account (presumed_success) until its correction ended.
package saga
