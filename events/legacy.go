package events

import (
	"errors"
	"fmt"
)

// Migration of stock (存量) agreements from the direct-connect era (直连).
//
// A stock agreement becomes a real agreement at the payer bank with a new
// paycore agreement number: the NetsUnion path routes a payment by the
// payer key embedded in the number, which no direct-connect number
// carries, and some institutions' numbers (Alipay's) are longer than the
// NetsUnion field and cannot be carried at all. They are mapped, never
// truncated. The importer (services/legacy) sends the payer bank one
// ImportAgreement per row and, once the bank holds the agreement, records
// the mapping as an AgreementMapped on legacy.mappings, keyed by the
// legacy number, kept forever.

// LegacyNoMaxLen is the longest legacy agreement number accepted.
const LegacyNoMaxLen = 64

// Why a legacy number needed a mapping, in AgreementMapped.Reason.
const (
	// MappingExceedsField: longer than a paycore agreement number
	// (payerkey.AgreementNoLen, within NetsUnion's field).
	MappingExceedsField = "exceeds_field"
	// MappingNotNetsUnionForm: short enough, but not a number that routes
	// on NetsUnion (no payer key embedded).
	MappingNotNetsUnionForm = "not_netsunion_form"
)

// AgreementMapped records that legacy agreement LegacyNo of channel
// ChannelID is agreement AgreementNo on NetsUnion. AggregateID is LegacyNo
// and there is one mapping per legacy number, ever (sequence 1): the first
// in the log is the mapping, and an importer reports a later row that
// contradicts it instead of mapping again.
type AgreementMapped struct {
	LegacyNo    string `json:"legacy_no"`
	AgreementNo string `json:"agreement_no"`
	ChannelID   string `json:"channel_id"`
	PayerKey    string `json:"payer_key"`
	// ImportID names the import that mapped it (derived from the file).
	ImportID string `json:"import_id"`
	Reason   string `json:"reason"`
}

func (AgreementMapped) EventType() string { return "legacy.agreement_mapped" }
func (AgreementMapped) EventVersion() int { return 1 }

// Validate refuses a mapping that could not route or be looked up.
func (m AgreementMapped) Validate() error {
	var errs []error
	if m.LegacyNo == "" || len(m.LegacyNo) > LegacyNoMaxLen {
		errs = append(errs, fmt.Errorf("legacy_no must be 1-%d characters", LegacyNoMaxLen))
	}
	for _, f := range []struct{ name, v string }{
		{"agreement_no", m.AgreementNo}, {"channel_id", m.ChannelID}, {"payer_key", m.PayerKey}, {"import_id", m.ImportID},
	} {
		if f.v == "" {
			errs = append(errs, errors.New(f.name+" is empty"))
		}
	}
	if m.Reason != MappingExceedsField && m.Reason != MappingNotNetsUnionForm {
		errs = append(errs, fmt.Errorf("reason %q is not %s or %s", m.Reason, MappingExceedsField, MappingNotNetsUnionForm))
	}
	return errors.Join(errs...)
}

// ImportAgreement asks the payer bank to take over a stock agreement as an
// active agreement numbered AgreementNo (which embeds PayerKey). The
// account, holder name, ID number and phone are checked against the
// bank's records like a signing's; they are not kept. SignedOn is the
// original signing date (YYYY-MM-DD), kept for the record.
type ImportAgreement struct {
	ImportID        string `json:"import_id"`
	LegacyNo        string `json:"legacy_no"`
	AgreementNo     string `json:"agreement_no"`
	ChannelID       string `json:"channel_id"`
	PayerKey        string `json:"payer_key"`
	PayerAccount    string `json:"payer_account"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number"`
	Phone           string `json:"phone"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
	SignedOn        string `json:"signed_on"`
}

func (ImportAgreement) EventType() string { return "payer.import_agreement" }
func (ImportAgreement) EventVersion() int { return 1 }

// AgreementImported records a stock agreement the payer bank took over:
// from now on it is an active agreement like a signed one. It is also the
// answer to the importer (on legacy.replies, keyed by the legacy number).
type AgreementImported struct {
	AgreementNo     string `json:"agreement_no"`
	LegacyNo        string `json:"legacy_no"`
	ImportID        string `json:"import_id"`
	ChannelID       string `json:"channel_id"`
	PayerKey        string `json:"payer_key"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
	SignedOn        string `json:"signed_on"`
}

func (AgreementImported) EventType() string { return "payer.agreement_imported" }
func (AgreementImported) EventVersion() int { return 1 }

// AgreementImportRefused answers an ImportAgreement the bank refused
// (account_not_found, identity_mismatch, limits_invalid, agreement_exists,
// duplicate_key_different_body). A refusal changes nothing at the bank, so
// it is sent to the importer only, never recorded: once the cause is fixed
// (the account opened, say) importing the row again succeeds.
type AgreementImportRefused struct {
	AgreementNo string `json:"agreement_no"`
	LegacyNo    string `json:"legacy_no"`
	ImportID    string `json:"import_id"`
	ReasonCode  string `json:"reason_code"`
}

func (AgreementImportRefused) EventType() string { return "payer.agreement_import_refused" }
func (AgreementImportRefused) EventVersion() int { return 1 }
