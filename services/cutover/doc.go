// Package cutover decides, during the migration to NetsUnion (切量), which
// path each payment takes: the NetsUnion path (the sagas: payer-bank leg
// and reserve leg) or the legacy direct path (services/directpath: one
// debit over the old direct link), and remembers that decision.
//
// # Rules
//
// Routing rules are versioned events (events.CutoverRulesPublished) on the
// cutover.rules topic, one partition, kept forever. Versions start at 1 and
// strictly increase; each version replaces the previous one as a whole.
// `paycore cutover publish --file rules.json` validates a file and appends
// it; `paycore cutover show` prints what is in force. Every reader folds
// the topic in order into a Book and ignores a version that does not
// increase (two operators publishing at once), so all readers agree.
//
// Per institution, the first matching clause decides (Rules.Route):
//
//	deny            payer key or agreement number listed → direct
//	allow           listed → NetsUnion
//	cohort          new_users / stock_users, when set for the payer's cohort
//	rollout_percent when set: Bucket(payer key) < percent → NetsUnion, else direct
//	default_path
//
// An institution the rules do not list, and every institution before the
// first version, routes to NetsUnion. The payer's cohort is stock (存量)
// when the institution's stock list names its payer key or agreement
// number, new (增量) otherwise. The bucket is a hash of the payer key, so a
// customer stays on one path while the percentage stays, and a customer
// once moved to NetsUnion by a higher percentage never moves back.
//
// # Decisions: the first one counts
//
// The intake evaluates the rules in force when it handles a pay request
// (its Handle stays free of I/O: a Follower goroutine follows cutover.rules
// and hands it the latest Rules). A request handled again later (a
// redelivery after a crash, or the channel resending the same idempotency
// key) may meet other rules and get another decision. The sagas and the
// direct path each deduplicate by TxnID only within themselves, so two
// decisions would start the payment on both paths and debit the customer
// twice. The intake therefore does not send the payment to a path: it sends
// events.RoutePayment to cutover.inbox, keyed by TxnID, and the Router
// records the first decision per TxnID (events.PaymentRouted on
// cutover.events) and forwards every request of that TxnID, first or
// repeated, to the recorded path with the recorded rules version. The
// routing decision of every transaction, with its rules version and
// clause, is thus on the log, keyed by TxnID.
package cutover
