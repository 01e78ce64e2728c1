// Package reconcile checks a clearing batch against a bank's own record of
// it (对账) and starts error handling (差错处理) where the two differ.
//
// A bank answers the switch's reconciliation file with a statement: for
// every transaction, what the bank did and for how much (Statement, CSV
// txn_id,amount,bank_status). Compare classifies each transaction:
//
//	matched          the bank did what our final status claims
//	only_ours        in our batch, missing from the statement
//	only_theirs      in the statement, not in our batch
//	status_differs   the bank moved money where we say it did not, or not where we say it did
//	amount_differs   statuses agree, the bank moved another amount
//
// What a final status claims, per bank:
//
//	our status                   payer bank expects         reserve bank expects
//	success, presumed_success    debited                    credited
//	failure, presumed_failure    refused, reversed or       refused or not_found
//	                             not_found (no debit stands)
//
// Two differences are corrected automatically, by a saga.correct_payment
// command to the payment's saga: a payer-bank debit standing behind a
// failure or presumed_failure (refund_customer), and a reserve credit
// missing behind a presumed_success (credit_reserve). Every other
// difference is recorded for a person.
//
// Reconcile records the result on clearing.events (one DiscrepancyFound per
// difference, then BatchReconciled), sends the corrections, and for the
// reserve bank asks it to post one summarized entry (汇总记账) per reserve
// account whose transactions all check out (PostReserveSummary). Every ID
// derives from the batch, bank, transaction and class, and an event
// already on the log is republished as it was, so running a
// reconciliation again changes nothing downstream.
//
// The comparison runs in Go, not as a FULL JOIN in ClickHouse: the
// statement is a local file, ClickHouse would need write access and a
// temporary table to join it, and one batch is small enough to hold; in Go
// it is a pure function with table tests.
package reconcile
