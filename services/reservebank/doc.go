// Package reservebank simulates the reserve bank (备付金存管行): the bank
// holding each channel's reserve account, which the second leg of every
// agreement payment credits and every refund debits.
//
// It is a processor.Handler on reserve.inbox with three kinds of
// aggregate, each keyed by what its commands are keyed by:
//
//   - a transaction (TxnID): the payment's credit and its status query;
//   - a reserve account R: its summarized postings and its fundings;
//   - a sub-account (分户) events.SubAccountKey(R, i), i < Config.SubAccounts:
//     a balance that refund debits draw on.
//
// # Payment credits and summarized postings
//
// A credit is recorded per transaction (reserve.reserve_credited) and never
// posted to a running balance: the reserve account is the hottest account
// there is, and the bank's fix in the seed was to post one summarized entry
// per clearing batch once reconciliation matches (汇总记账). Reconciliation
// asks for that entry with reserve.post_summary, keyed by the reserve
// account. The bank records reserve.summary_posted with BalanceAfter, the
// account's previous summarized balance plus the batch's amount, at most
// once per (account, batch): a repeat with the same amount and credit
// count records nothing, one with another is poison (ErrSummaryConflict).
// Whether the postings cover the credits is the audit's check: the credits
// of an account are spread over every partition.
//
// The bank decides at most once per transaction: credited, or refused
// (reserve account closed, or never received, found by a status query).
// Whatever arrives later for that transaction, a redelivered credit or a
// late one, is answered with the original decision, so a credit the switch
// already concluded failed can never execute afterwards.
//
// # Sub-accounts (分户) and refunds
//
// Refunds debit the reserve account, so it needs a balance, and a balance
// kept in one place would make the account hot again: the seed saw many
// refunds of one channel within milliseconds. The account is therefore
// split into N sub-accounts (Config.SubAccounts, default 8; the saga must
// use the same N), each an aggregate with a balance of its own, living in
// the partition its key hashes to. The saga sends each refund debit to one
// sub-account (by the refund's ID), so the debits of a hot account spread
// over partitions and are decided without any cross-partition lock.
//
// Money that refunds may use enters the account two ways, both recorded
// under R and then spread over the sub-accounts: reserve.fund_reserve (the
// channel wires funds in; reserve.reserve_funded) and the summarized
// postings (reserve.summary_posted). The spreading sends one
// reserve.credit_sub_account per sub-account, the amount split to the fen
// (share i = amount/N rounded down, plus one fen for the first amount mod
// N). Every share has a TransferID derived from the recording event, and a
// sub-account credits a TransferID once (reserve.sub_account_credited), so
// redelivered or re-sent shares change nothing.
//
// A refund debit (reserve.debit_reserve) at sub-account i is decided once
// per DebitID: debited (reserve.reserve_debited, BalanceAfter) when nothing
// waits ahead of it and the balance covers it; otherwise it is held
// (reserve.reserve_debit_held) and, if no round is out yet, i starts a
// borrow round (reserve.borrow_started). The round is a
// reserve.borrow_from_sibling that travels the ring i+1, i+2, ... (mod N):
// each sibling gives what it has, at most what is still needed, recording
// reserve.sub_account_lent (its balance never below zero; a zero loan is
// recorded too, so a redelivered round is passed on identically), and
// passes the round on with the money it carries. Once nothing is needed,
// or every sibling was asked, the round goes back to i, which records
// reserve.borrow_returned (the money carried) and decides its held debits
// in arrival order: each one the balance covers is debited; the first it
// does not cover gets a round of its own, or, if the round that just came
// back was already its round, is refused with insufficient_reserve_funds.
// With N = 1 there is nobody to borrow from and a debit the balance does
// not cover is refused at once.
//
// Ordering guarantees. The debits of one sub-account are decided in the
// order they arrived at it, also when the balance would cover a later one
// while an earlier one waits for a round. Debits of different
// sub-accounts are independent. A debit is decided within at most
// Config.MaxBorrowRounds rounds of N−1 hops each.
//
// What "refused only when the account as a whole cannot pay" means
// exactly. The sub-accounts are in different partitions and a round sees
// each sibling at a different moment; money on its way (a share not yet
// credited, or the money another round is carrying) is seen by nobody.
// The guarantee is therefore: a debit is refused only after a round asked
// every sibling and each gave everything it had free. If that round was
// quiet (no other round of the account out meanwhile, no money landing on
// a sibling meanwhile), the account's sub-accounts together held less than
// the debit when it was refused. A round that met another one is
// contended: a sibling with a round of its own gives only to rounds of
// higher priority (smaller DebitID; so of two short sub-accounts one
// collects from the other instead of both coming back short), and a
// contended round is repeated, up to MaxBorrowRounds, before the debit is
// refused. Under heavy contention a debit may thus be refused while money
// is in flight between two other sub-accounts; the saga reports the
// refund failed (insufficient_reserve_funds) and the channel may retry.
//
// A status query (reserve.query_debit) answers done, refused, reversed,
// or unknown (link fault, or the debit is held: the bank has not decided
// and the saga asks again). A query about a debit the sub-account never
// received first records reserve.reserve_debit_refused with
// not_received_by_bank, so the debit cannot execute if it arrives later.
// A reversal (reserve.reverse_debit, the compensation when the payer bank
// refused the customer's credit) returns a debited amount to the
// sub-account it came from (reserve.reserve_debit_reversed); it is never
// refused: repeated, it gets its reply again; for a debit refused, held or
// never seen it answers the status (closing an unseen one first).
//
// Every move of money is an event, so balances replay exactly, held
// debits and rounds in flight survive a rebuild and a snapshot, and per
// reserve account:
//
//	funded + posted − debited + reversed =
//	    Σ sub-account balances + lent not yet returned + shares not yet credited
//
// No balance, of a sub-account or of the account, is ever negative. Bank
// exposes SubAccountBalance, Balances, HeldDebits, Funded and Debit for
// tests and audits.
//
// # Link faults and internal messages
//
// Link faults (services/banklink) make the legs realistic: a credit, a
// refund debit or a reversal may never arrive (Dropped), its reply may be
// lost (ReplyLost) or late (Latency), and a status query may be answered
// "unknown" (QueryUnknown); query reports are never lost or delayed. The
// reply to a debit decided when a round returns meets the faults of the
// debit command it answers. Each fault is a pure function of the command's
// ID, so a redelivered command meets the same fate and replays stay
// deterministic. Postings, fundings, shares and borrow rounds are the
// bank's own book-keeping and meet no faults.
//
// Every command already handled is answered again with what it caused:
// the same replies, shares and round messages, with the same IDs, since
// the runtime redelivers commands whose effects may not all have been
// produced.
package reservebank
