package legacy

import (
	"errors"
	"regexp"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/intake"
)

// Row is one line of an import file: a stock agreement as the
// direct-connect era recorded it. Every member is required and a JSON
// string; limits are CNY amounts such as "500.00" (at most two decimals);
// signed_at is the date the agreement was signed (YYYY-MM-DD). Account,
// holder name, ID number and phone follow the grammar channels use
// (services/intake), because the bank checks them against its records.
type Row struct {
	LegacyNo        string `json:"legacy_no"`
	ChannelID       string `json:"channel_id"`
	PayerAccount    string `json:"payer_account"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number"`
	Phone           string `json:"phone"`
	PerPaymentLimit string `json:"per_payment_limit"`
	DailyLimit      string `json:"daily_limit"`
	SignedAt        string `json:"signed_at"`
}

// LegacyNoPattern is the grammar of a legacy agreement number: up to
// events.LegacyNoMaxLen letters, digits, '_' or '-'. Nothing of it is
// ever cut off; the new number replaces it on NetsUnion.
const LegacyNoPattern = `^[A-Za-z0-9_-]{1,64}$`

var (
	legacyNoRE     = regexp.MustCompile(LegacyNoPattern)
	channelIDRE    = regexp.MustCompile(intake.ChannelIDPattern)
	payerAccountRE = regexp.MustCompile(intake.PayerAccountPattern)
	holderNameRE   = regexp.MustCompile(intake.HolderNamePattern)
	idNumberRE     = regexp.MustCompile(intake.IDNumberPattern)
	phoneRE        = regexp.MustCompile(intake.PhonePattern)
)

// Agreement is a row that passed every check: what the import sends.
type Agreement struct {
	Line            int
	LegacyNo        string
	ChannelID       string
	PayerAccount    string
	HolderName      string
	IDNumber        string
	Phone           string
	PerPaymentLimit events.Money
	DailyLimit      events.Money
	SignedOn        string // YYYY-MM-DD
}

// same reports whether a and b describe the same agreement (a line
// repeated in the file), whatever their line numbers.
func (a Agreement) same(b Agreement) bool {
	return a.LegacyNo == b.LegacyNo && a.ChannelID == b.ChannelID && a.PayerAccount == b.PayerAccount &&
		a.HolderName == b.HolderName && a.IDNumber == b.IDNumber && a.Phone == b.Phone &&
		a.PerPaymentLimit.Equal(b.PerPaymentLimit) && a.DailyLimit.Equal(b.DailyLimit) && a.SignedOn == b.SignedOn
}

// check validates a decoded row in member order, so a line with several
// faults always reports the same one. today is the import's Beijing date:
// an agreement cannot have been signed after it.
func (r Row) check(line int, today string) (Agreement, *BadRow) {
	bad := func(reason, field, detail string) (Agreement, *BadRow) {
		return Agreement{}, &BadRow{Line: line, LegacyNo: r.LegacyNo, Reason: reason, Field: field, Detail: detail}
	}
	for _, f := range []struct {
		name, value string
		re          *regexp.Regexp
		human       string
	}{
		{"legacy_no", r.LegacyNo, legacyNoRE, "must be 1-64 characters A-Z, a-z, 0-9, _ or -"},
		{"channel_id", r.ChannelID, channelIDRE, "must be 1-32 characters A-Z, a-z, 0-9, _ or -"},
		{"payer_account", r.PayerAccount, payerAccountRE, "must be 12-32 digits"},
		{"holder_name", r.HolderName, holderNameRE, "must be 1-64 characters without control characters"},
		{"id_number", r.IDNumber, idNumberRE, "must be 15 digits, or 17 digits and a digit or X"},
		{"phone", r.Phone, phoneRE, "must be 11 digits"},
	} {
		if f.value == "" {
			return bad(ReasonMissingField, f.name, "is empty")
		}
		if !f.re.MatchString(f.value) {
			return bad(ReasonFieldInvalid, f.name, f.human)
		}
	}
	if isNetsUnionNo(r.LegacyNo) {
		return bad(ReasonLegacyNoNetsUnion, "legacy_no", "is already a NetsUnion agreement number: nothing to migrate")
	}
	perPayment, b := amount(r.PerPaymentLimit, "per_payment_limit", bad)
	if b != nil {
		return Agreement{}, b
	}
	daily, b := amount(r.DailyLimit, "daily_limit", bad)
	if b != nil {
		return Agreement{}, b
	}
	if perPayment.Cmp(daily) > 0 {
		return bad(events.ReasonLimitsInvalid, "per_payment_limit", "must not be above daily_limit")
	}
	if r.SignedAt == "" {
		return bad(ReasonMissingField, "signed_at", "is empty")
	}
	if _, err := time.Parse(time.DateOnly, r.SignedAt); err != nil {
		return bad(ReasonFieldInvalid, "signed_at", "must be a date YYYY-MM-DD")
	}
	if r.SignedAt > today { // YYYY-MM-DD orders as text
		return bad(ReasonFieldInvalid, "signed_at", "is after the import date "+today)
	}
	return Agreement{
		Line: line, LegacyNo: r.LegacyNo, ChannelID: r.ChannelID, PayerAccount: r.PayerAccount,
		HolderName: r.HolderName, IDNumber: r.IDNumber, Phone: r.Phone,
		PerPaymentLimit: perPayment, DailyLimit: daily, SignedOn: r.SignedAt,
	}, nil
}

// amount parses a limit: a positive CNY amount, refused with the money
// code of events (amount_malformed, amount_not_positive, ...).
func amount(s, field string, bad func(reason, field, detail string) (Agreement, *BadRow)) (events.Money, *BadRow) {
	if s == "" {
		_, b := bad(ReasonMissingField, field, "is empty")
		return events.Money{}, b
	}
	m, err := events.ParsePositiveMoney(s, events.CurrencyCNY.String())
	if err != nil {
		code := events.CodeAmountMalformed
		if e := (*events.Error)(nil); errors.As(err, &e) {
			code = e.Code()
		}
		_, b := bad(code, field, "is not a positive CNY amount with at most two decimals")
		return events.Money{}, b
	}
	return m, nil
}
