package legacy

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// planned is a good row with its new number and what the mapping log
// already says about it.
type planned struct {
	Agreement
	payerKey    string
	agreementNo string
	// mapped is the log's mapping of the legacy number, when it has one
	// (then the row was imported before).
	mapped *Mapping
	// conflict is why the row is not sent ("" when it is), with detail.
	conflict, conflictDetail string
}

// plan derives each row's number and checks it against the mapping log:
// a legacy number mapped to another account or channel, or a new number
// already issued to another legacy number (in the log or earlier in the
// file), is a conflict and is not sent.
func plan(rows []Agreement, d payerkey.Deriver, log *Mappings) []planned {
	issued := map[string]string{} // new number → legacy number, within the file
	out := make([]planned, len(rows))
	for i, a := range rows {
		p := planned{Agreement: a, payerKey: d.Key(a.PayerAccount)}
		p.agreementNo = NewAgreementNo(p.payerKey, a.ChannelID, a.LegacyNo)
		if m, ok := log.ByLegacy(a.LegacyNo); ok {
			if m.AgreementNo != p.agreementNo || m.ChannelID != a.ChannelID || m.PayerKey != p.payerKey {
				p.conflict = ReasonMappingConflict
				p.conflictDetail = fmt.Sprintf("mapped to %s (channel %s) by import %s; this row names another account or channel", m.AgreementNo, m.ChannelID, m.ImportID)
			} else {
				p.mapped = &m
			}
		} else if m, ok := log.ByAgreement(p.agreementNo); ok {
			p.conflict, p.conflictDetail = ReasonAgreementNoTaken, "already mapped from legacy number "+m.LegacyNo
		} else if other, ok := issued[p.agreementNo]; ok {
			p.conflict, p.conflictDetail = ReasonAgreementNoTaken, "also derived for legacy number "+other+" in this file"
		}
		if p.conflict == "" {
			issued[p.agreementNo] = a.LegacyNo
		}
		out[i] = p
	}
	return out
}

// command builds the payer.import_agreement of p. Its envelope is a
// function of the row and of the import that first mapped it: a row
// already mapped is sent with that mapping's import ID and time, so
// importing a file again sends byte for byte the envelopes first sent,
// and the ID (derived from the payload) changes exactly when the content
// does.
func (p planned) command(reg *events.Registry, importID string, now time.Time) (events.Envelope, error) {
	if p.mapped != nil {
		importID, now = p.mapped.ImportID, p.mapped.At
	}
	c := events.ImportAgreement{
		ImportID: importID, LegacyNo: p.LegacyNo, AgreementNo: p.agreementNo, ChannelID: p.ChannelID,
		PayerKey: p.payerKey, PayerAccount: p.PayerAccount, HolderName: p.HolderName, IDNumber: p.IDNumber,
		Phone: p.Phone, PerPaymentLimit: p.PerPaymentLimit, DailyLimit: p.DailyLimit, SignedOn: p.SignedOn,
	}
	body, err := events.EncodeJSON(c)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("legacy: line %d: %w", p.Line, err)
	}
	id := events.DeriveID("legacy", c.EventType(), string(body))
	return reg.New(p.payerKey, 1, c, events.Meta{ID: id, CorrelationID: importID, CausationID: id, OccurredAt: now})
}

// mappingEvent builds the legacy.agreement_mapped of p, which the bank
// answered with reply (its payer.agreement_imported). There is one per
// legacy number ever, so its ID derives from the mapping alone and a
// re-publish after a crash is the same event.
func (p planned) mappingEvent(reg *events.Registry, reply events.Envelope, imported events.AgreementImported, runID string, now time.Time) (events.Envelope, error) {
	m := events.AgreementMapped{
		LegacyNo: p.LegacyNo, AgreementNo: p.agreementNo, ChannelID: p.ChannelID, PayerKey: p.payerKey,
		ImportID: imported.ImportID, Reason: mappingReason(p.LegacyNo),
	}
	return reg.New(p.LegacyNo, 1, m, events.Meta{
		ID:            events.DeriveID("legacy", m.EventType(), p.LegacyNo, p.agreementNo),
		CorrelationID: runID,
		CausationID:   reply.ID,
		OccurredAt:    now,
	})
}
