// Package reservebank simulates the reserve bank (备付金存管行): the bank
// holding each channel's reserve account, which the second leg of every
// agreement payment credits.
//
// It is a processor.Handler on reserve.inbox, keyed by transaction ID for
// credits and queries. A credit is recorded per transaction
// (reserve.reserve_credited) and never posted to a running balance: the
// reserve account is the hottest account there is, and the bank's fix in
// the seed was to post one summarized entry per clearing batch once
// reconciliation matches (汇总记账).
//
// Reconciliation asks for that entry with reserve.post_summary, keyed by
// the reserve account, so one partition owns the account's balance. The
// bank records reserve.summary_posted with BalanceAfter, the account's
// previous summarized balance plus the batch's amount, at most once per
// (account, batch): a repeat with the same amount and credit count
// changes nothing, one with another is poison (ErrSummaryConflict). No
// reply is sent, and link faults do not apply to postings. Whether the
// postings cover the credits is the audit's check: the credits of an
// account are spread over every partition.
//
// The bank decides at most once per transaction: credited, or refused
// (reserve account closed, or never received, found by a status query).
// Whatever arrives later for that transaction, a redelivered credit or a
// late one, is answered with the original decision, so a credit the switch
// already concluded failed can never execute afterwards.
//
// Link faults (services/banklink) make the reserve leg realistic: a credit
// may never arrive (Dropped), its reply may be lost (ReplyLost) or late
// (Latency), and a status query may be answered "unknown" (QueryUnknown).
// Each fault is a pure function of the command's ID, so a redelivered
// command meets the same fate and replays stay deterministic.
package reservebank
