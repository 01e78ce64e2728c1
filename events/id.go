package events

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// idDomain separates paycore event IDs from any other SHA-256 use of the
// same inputs, and versions the derivation: changing it would change every
// ID, so it must stay fixed for as long as stored events exist.
const idDomain = "paycore/events/id/v1"

// DeriveID returns a deterministic event ID: an RFC 9562 version 8 UUID
// (lowercase, 8-4-4-4-12) built from the first 128 bits of SHA-256 over the
// parts. Deriving the ID from the command and the step that emits the event,
// e.g. DeriveID(commandID, "payer_debited"), makes a retried command or a
// redelivered message produce the very same event ID, so the store and
// consumers can deduplicate instead of double-booking.
//
// Each part is length-prefixed before hashing, which is what makes the
// encoding unambiguous: ("ab", "c") and ("a", "bc") yield different IDs, as
// do parts containing any would-be separator byte.
//
// DeriveID panics when called with no parts: that would give every caller
// the same constant ID, and colliding IDs silently drop events as
// duplicates.
func DeriveID(parts ...string) string {
	if len(parts) == 0 {
		panic("events: DeriveID needs at least one part")
	}
	h := sha256.New()
	writePart(h, idDomain)
	for _, p := range parts {
		writePart(h, p)
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8: custom, hash-based
	u[8] = u[8]&0x3f | 0x80 // variant 10: RFC 9562
	return formatUUID(u)
}

func writePart(h hash.Hash, part string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(part)))
	h.Write(n[:]) // hash.Hash writes never fail
	h.Write([]byte(part))
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// isCanonicalUUID reports whether s is a UUID in lowercase 8-4-4-4-12 form,
// the only form DeriveID produces. Any version is accepted so that IDs from
// other generators (e.g. UUIDv7 for operator commands) remain usable.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
