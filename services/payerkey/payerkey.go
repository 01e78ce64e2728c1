// Package payerkey derives the partition key of the payer-bank processor.
//
// Everything that touches one customer account (its balance, the
// agreements on it, the debits and reversals against it) must be handled by
// one partition owner. The key is a keyed hash of the account number: it
// spreads accounts evenly, and it does not put card numbers into Kafka keys,
// broker logs or ClickHouse. Agreement numbers embed the key, so a pay or
// terminate request, which names only the agreement, is routed to the right
// partition without a lookup.
package payerkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"
)

// KeyLen is the length of a payer key; AgreementNoLen of an agreement
// number ("NU" + key + 12-character suffix), within NetsUnion's 32.
const (
	KeyLen         = 16
	AgreementNoLen = 2 + KeyLen + 12
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrNotAgreementNo is returned for a string that is not a paycore
// agreement number.
var ErrNotAgreementNo = errors.New("not a paycore agreement number")

// Deriver computes payer keys with a secret shared by the intake and the
// payer-bank processor. Changing the secret re-routes every account: it is
// fixed for the lifetime of a deployment.
type Deriver struct{ secret []byte }

// NewDeriver returns a Deriver for secret (must not be empty).
func NewDeriver(secret string) (Deriver, error) {
	if secret == "" {
		return Deriver{}, errors.New("payerkey: empty secret")
	}
	return Deriver{secret: []byte(secret)}, nil
}

// Key returns the payer key of an account number.
func (d Deriver) Key(account string) string {
	m := hmac.New(sha256.New, d.secret)
	m.Write([]byte(account))
	return enc.EncodeToString(m.Sum(nil))[:KeyLen]
}

// AgreementNo returns the agreement number issued for a signing on the
// account with payer key; deterministic, so a replayed signing issues the
// same number.
func AgreementNo(payerKey, signingID string) string {
	sum := sha256.Sum256([]byte("agreement\x00" + signingID))
	return "NU" + payerKey + enc.EncodeToString(sum[:])[:12]
}

// FromAgreementNo returns the payer key embedded in an agreement number.
func FromAgreementNo(no string) (string, error) {
	if len(no) != AgreementNoLen || !strings.HasPrefix(no, "NU") {
		return "", ErrNotAgreementNo
	}
	key := no[2 : 2+KeyLen]
	for _, c := range no[2:] {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return "", ErrNotAgreementNo
		}
	}
	return key, nil
}
