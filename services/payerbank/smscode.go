package payerbank

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// smsDomain separates SMS codes from any other HMAC keyed with the same
// secret (payer keys, for instance).
const smsDomain = "paycore/payerbank/sms/v1\x00"

// SMSCode returns the 6-digit code the bank sends to the holder's phone for
// signing signingID. It is derived, not drawn, so that a replay of the log
// reproduces it without the code ever being written to an event, and so
// that a demo or test can play the customer's phone with the same secret.
func SMSCode(secret, signingID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(smsDomain))
	m.Write([]byte(signingID))
	// The bias of reducing 64 bits modulo 10^6 is below 10^-13.
	n := binary.BigEndian.Uint64(m.Sum(nil)[:8]) % 1_000_000
	return fmt.Sprintf("%06d", n)
}

// codeMatches compares in constant time, as a bank would, so the answer
// time does not leak how many leading digits were right.
func codeMatches(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
