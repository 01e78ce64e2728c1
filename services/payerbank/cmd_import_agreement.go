package payerbank

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
)

// importAgreement handles payer.import_agreement: a stock agreement of the
// direct-connect era becomes an active agreement under its new number
// (payer.agreement_imported), or is refused with a
// payer.agreement_import_refused that is sent, not recorded. Either way
// the importer hears the answer on Topics.LegacyReplies, keyed by the
// legacy number.
//
// The agreement number is the import's idempotency key. A number already
// imported with the same content (a redelivery, or the file imported
// again) gets its original answer again, byte for byte; with other content
// it is refused with duplicate_key_different_body and the agreement stays
// as it was. A refusal is not recorded because it changes nothing: the
// same command decides again, and succeeds once its cause is gone (the
// account opened, the old agreement terminated).
//
// The import is the bank's own back office, not a message over the
// NetsUnion link, so no link fault applies to it.
func (d *decision) importAgreement(c events.ImportAgreement) error {
	if d.h.cfg.Topics.LegacyReplies == "" {
		return errors.New("payerbank: payer.import_agreement needs Topics.LegacyReplies: the importer would never hear the answer")
	}
	if c.LegacyNo == "" || len(c.LegacyNo) > events.LegacyNoMaxLen || c.ImportID == "" || !isDay(c.SignedOn) {
		return fmt.Errorf("payerbank: import of %q: needs a legacy number of 1-%d characters, an import ID and a signing date", c.LegacyNo, events.LegacyNoMaxLen)
	}
	// A number that does not embed the payer key would route its payments
	// to another partition, which has never heard of it.
	if key, err := payerkey.FromAgreementNo(c.AgreementNo); err != nil || key != c.PayerKey {
		return fmt.Errorf("payerbank: import of %s: agreement number %q does not embed payer key %s", c.LegacyNo, c.AgreementNo, c.PayerKey)
	}
	if agr, ok := d.st.agreements[c.AgreementNo]; ok {
		switch {
		case agr.importReply.ID == "":
			// A signed agreement holds the number (a hash collision).
			return d.refuseImport(c, events.ReasonAgreementExists)
		case !agr.sameImport(c):
			return d.refuseImport(c, events.ReasonDuplicateKeyNewBody)
		}
		d.toImporter(c.LegacyNo, agr.importReply)
		return nil
	}
	if reason := importRefusal(d.st.accounts[c.PayerKey], c); reason != "" {
		return d.refuseImport(c, reason)
	}
	ev, err := d.record(c.PayerKey, events.AgreementImported{
		AgreementNo:     c.AgreementNo,
		LegacyNo:        c.LegacyNo,
		ImportID:        c.ImportID,
		ChannelID:       c.ChannelID,
		PayerKey:        c.PayerKey,
		PerPaymentLimit: c.PerPaymentLimit,
		DailyLimit:      c.DailyLimit,
		SignedOn:        c.SignedOn,
	})
	if err != nil {
		return err
	}
	d.toImporter(c.LegacyNo, ev)
	return nil
}

// importRefusal returns the reason the bank refuses to import c onto acct
// (nil when the bank has no account under the payer key), or "" when it
// accepts, in the documented order: the account and identity first, as in
// a signing, since a row naming the wrong account must never bind a
// stranger's account to the channel.
func importRefusal(acct *account, c events.ImportAgreement) string {
	switch {
	case acct == nil || !acct.holds(c.PayerAccount):
		return events.ReasonAccountNotFound
	case !acct.identityMatches(c.HolderName, c.IDNumber, c.Phone):
		return events.ReasonIdentityMismatch
	case !validImportLimits(c.PerPaymentLimit, c.DailyLimit):
		return events.ReasonLimitsInvalid
	case acct.hasActiveAgreement(c.ChannelID):
		return events.ReasonAgreementExists
	}
	return ""
}

// validImportLimits is limitsValid for amounts that may be unset: a
// command decoded by the registry always has them, but a zero Money would
// make Cmp panic.
func validImportLimits(perPayment, daily events.Money) bool {
	return perPayment.Currency().IsValid() && daily.Currency().IsValid() && limitsValid(perPayment, daily)
}

// sameImport reports whether c repeats the import that created a; the
// import ID may differ (the row came again in another file).
func (a *agreement) sameImport(c events.ImportAgreement) bool {
	return a.legacyNo == c.LegacyNo && a.channelID == c.ChannelID && a.payerKey == c.PayerKey &&
		a.signedOn == c.SignedOn && a.perPaymentLimit.Equal(c.PerPaymentLimit) && a.dailyLimit.Equal(c.DailyLimit)
}

// refuseImport answers c with a refusal. Its ID derives from the command,
// so a redelivery that decides the same answers the same.
func (d *decision) refuseImport(c events.ImportAgreement, reason string) error {
	p := events.AgreementImportRefused{AgreementNo: c.AgreementNo, LegacyNo: c.LegacyNo, ImportID: c.ImportID, ReasonCode: reason}
	env, err := d.h.reg.New(c.LegacyNo, 1, p, d.meta(events.DeriveID(d.cmdID(), p.EventType())))
	if err != nil {
		return fmt.Errorf("payerbank: answering %s: %w", p.EventType(), err)
	}
	d.out.Messages = append(d.out.Messages, processor.EnvelopeTo(d.h.cfg.Topics.LegacyReplies, env))
	return nil
}

// toImporter sends the importer its copy of ev, a payer.agreement_imported
// of payer.events, re-addressed to the legacy number with an ID of its own
// (like a saga reply, see forward).
func (d *decision) toImporter(legacyNo string, ev events.Envelope) {
	r := ev
	r.ID = events.DeriveID(ev.ID, "reply")
	r.AggregateID = legacyNo
	d.out.Messages = append(d.out.Messages, processor.EnvelopeTo(d.h.cfg.Topics.LegacyReplies, r))
}

// agreementImported folds payer.agreement_imported: the agreement becomes
// active on its account, exactly like a signed one.
func (st *state) agreementImported(env events.Envelope, e events.AgreementImported) {
	acct, ok := st.accounts[env.AggregateID]
	if !ok {
		impossible(env, "no account")
	}
	if _, dup := st.agreements[e.AgreementNo]; dup {
		impossible(env, "agreement %s already exists", e.AgreementNo)
	}
	st.agreements[e.AgreementNo] = importedAgreement(env, e)
	acct.bind(env, e.ChannelID, e.AgreementNo)
}

// importedAgreement is the active agreement an import creates; env is its
// payer.agreement_imported event, kept to answer a repeated import.
func importedAgreement(env events.Envelope, e events.AgreementImported) *agreement {
	return &agreement{
		no:              e.AgreementNo,
		channelID:       e.ChannelID,
		payerKey:        env.AggregateID,
		perPaymentLimit: e.PerPaymentLimit,
		dailyLimit:      e.DailyLimit,
		status:          AgreementActive,
		usage:           map[string]events.Money{},
		legacyNo:        e.LegacyNo,
		signedOn:        e.SignedOn,
		importReply:     env,
	}
}

// isDay reports whether day is a YYYY-MM-DD date.
func isDay(day string) bool {
	_, err := time.Parse(time.DateOnly, day)
	return err == nil
}
