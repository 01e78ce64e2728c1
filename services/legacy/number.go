package legacy

import (
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// NewAgreementNo returns the paycore agreement number a stock agreement
// gets: payerkey.AgreementNo over a pseudo signing ID derived from the
// channel and the whole legacy number. It is deterministic, so a row
// imported again maps to the same number; it embeds the payer key, so a
// pay request routes without a look-up; and it never contains any part of
// the legacy number, so nothing is truncated. Two legacy numbers of one
// account collide only if 60 bits of SHA-256 do.
func NewAgreementNo(payerKey, channelID, legacyNo string) string {
	return payerkey.AgreementNo(payerKey, legacySigningID(channelID, legacyNo))
}

// legacySigningID stands in for the signing that issued a signed
// agreement's number. Its derivation parts ("legacy", ...) keep it apart
// from every saga's signing ID.
func legacySigningID(channelID, legacyNo string) string {
	return events.DeriveID("legacy", channelID, legacyNo)
}

// mappingReason says why legacyNo cannot serve on NetsUnion as it is:
// longer than a paycore agreement number, or not of its form.
func mappingReason(legacyNo string) string {
	if len(legacyNo) > payerkey.AgreementNoLen {
		return events.MappingExceedsField
	}
	return events.MappingNotNetsUnionForm
}

// isNetsUnionNo reports whether s already is a paycore agreement number.
func isNetsUnionNo(s string) bool {
	_, err := payerkey.FromAgreementNo(s)
	return err == nil
}
