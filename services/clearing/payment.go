package clearing

import "github.com/paycore/paycore/events"

// Payment is one payment of a batch as the switch records it: a line of
// the reconciliation files, and our side of a reconciliation.
type Payment struct {
	TxnID          string
	OrderID        string
	ChannelID      string
	ReserveAccount string
	Amount         events.Money
	// Status is the payment's final status: success, failure,
	// presumed_success or presumed_failure.
	Status string
}

// Settles reports whether the payment moves money from the payer bank to
// the reserve bank at clearing: success, and presumed_success (the payer
// was debited; the reserve credit is presumed, and reconciliation checks
// the claim).
func (p Payment) Settles() bool {
	return p.Status == events.StatusSuccess || p.Status == events.StatusPresumedSuccess
}

// IsFinal reports whether status is one of the four final statuses.
func IsFinal(status string) bool {
	switch status {
	case events.StatusSuccess, events.StatusFailure, events.StatusPresumedSuccess, events.StatusPresumedFailure:
		return true
	}
	return false
}
