// Package payerbank simulates the payer bank (付款行) behind the NetsUnion
// switch: customer accounts, the agreements signed on them, and the payer
// legs that debit them.
//
// It runs as one processor.Handler per partition of payer.inbox and
// payer.events, keyed by payer key (see services/payerkey). One partition
// owns an account, every agreement on it and every leg debiting it, so
// balance and limit checks need no locks, and folding partition p of
// payer.events rebuilds exactly the state the decisions saw.
//
// # Aggregates
//
// Each lives in its own file, decides with pure methods and changes only in
// the fold (Handler.Apply):
//   - account (account.go): balance, holder identity, active agreements by
//     channel. The balance never goes below zero.
//   - signing (signing.go): identity check, SMS code, attempt counting.
//   - agreement (agreement.go): limits, daily usage, termination.
//   - payerLeg (payerleg.go): one debit per transaction, its reversal.
//
// # Check order
//
// A refusal names the first check that failed, in this order, which is part
// of the contract and must stay stable:
//   - verify_signing: account_not_found, identity_mismatch,
//     agreement_exists, limits_invalid.
//   - confirm_agreement: signing_not_found; then an attempt already seen or
//     a signing no longer pending is answered again; sms_code_expired; a
//     wrong code (sms_code_rejected, or sms_attempts_exceeded at the limit);
//     agreement_exists.
//   - terminate_agreement: a request ID already seen is answered again
//     (duplicate_key_different_body if its body hash differs);
//     agreement_not_found, agreement_other_channel, agreement_terminated.
//   - debit_payer: a transaction already seen is answered again;
//     amount_not_positive, agreement_not_found, agreement_other_channel,
//     agreement_terminated, over_per_payment_limit, over_daily_limit,
//     insufficient_funds. Agreement checks come before limits so the reason
//     tells the channel what to fix first; funds come last because they are
//     the only check that can pass on a retry without anyone acting.
//   - import_agreement (stock agreements, services/legacy): an agreement
//     number already imported is answered again (agreement_exists if a
//     signing holds it, duplicate_key_different_body if its content
//     differs); account_not_found, identity_mismatch, limits_invalid,
//     agreement_exists (the channel holds another active agreement on the
//     account). Refusals are answered, not recorded.
//
// # Replies
//
// Every event answering a saga command is written to payer.events under the
// payer key (with the payer key's own sequence) and copied to saga.inbox
// under the saga's ID (TxnID or SigningID): same type, payload, sequence,
// correlation, causation and time, ID DeriveID(event ID, "reply"). Status
// reports (payer.debit_status_reported) change nothing at the bank, so they
// go to saga.inbox only. A command already handled is never decided again:
// its original reply is re-sent with the same IDs. Terminate requests have
// no saga; the bank answers the channel with an events.Outcome. Imports
// have no saga either; the importer hears the answer on legacy.replies,
// keyed by the legacy agreement number.
//
// # Link faults
//
// banklink decides per command envelope ID, so a redelivered command meets
// the same fate. Debits and reversals may be Dropped (no event, no reply)
// and their replies ReplyLost (event, no reply); status queries may be
// answered unknown; every saga reply gets the link's latency. Signing
// replies are never lost, because the signing saga has no status query to
// recover them, and terminate outcomes get no latency, because a delayed
// record is kept in memory only and nothing would re-send a lost outcome.
package payerbank
