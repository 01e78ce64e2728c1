// Package legacy migrates stock agreements (存量协议) of the direct-connect
// era (直连) onto NetsUnion: it reads an operator's file of agreements,
// has the payer bank take each one over as a real agreement under a new
// paycore agreement number, and records the mapping from legacy number to
// new number as an event-sourced log that answers look-ups both ways.
//
// # File format
//
// JSON lines (UTF-8): one object per line, blank lines ignored; see
// Row and testdata/stock.jsonl. Parse checks every line strictly and
// reports each bad one with its line number and a stable reason code
// (BadRow, the Reason* constants); the good lines import anyway.
//
// # Numbers
//
// Every stock agreement gets a new number, NewAgreementNo: the NetsUnion
// path routes a payment by the payer key embedded in the number, which no
// direct-connect number carries, and Alipay's numbers are longer than
// NetsUnion's field. The new number derives from (channel, legacy number)
// and the account's payer key, so importing a row again gives the same
// number; a legacy number is never truncated.
//
// # Import
//
// Import sends one payer.import_agreement per good row (payer.inbox, keyed
// by payer key, envelope ID derived from its content), waits for the
// bank's answers on legacy.replies, and for every agreement the bank holds
// appends one legacy.agreement_mapped to legacy.mappings (keyed by legacy
// number). A mapping is written only after the bank's answer, so the log
// lists agreements that exist; a row whose legacy number is already mapped
// to another account or channel is reported as a conflict and not sent.
// Importing a file again sends the same commands, which the bank answers
// with its original answers: nothing new is recorded anywhere.
//
// Run one import at a time: the mapping log is checked before sending and
// written after the answers, and two concurrent imports of the same legacy
// number with different content could both reach the bank.
package legacy
