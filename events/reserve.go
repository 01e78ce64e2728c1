package events

// Commands and events of the reserve-bank processor (topics reserve.inbox
// and reserve.events, keyed by transaction ID). Credits to a channel's
// reserve account are recorded per transaction and never posted one by
// one: the account is too hot for that. Posting one summarized entry per
// clearing batch belongs to reconciliation.

// CreditReserve asks the reserve bank to credit a channel's reserve account.
type CreditReserve struct {
	TxnID          string `json:"txn_id"`
	ReserveAccount string `json:"reserve_account"`
	ChannelID      string `json:"channel_id"`
	Amount         Money  `json:"amount"`
}

func (CreditReserve) EventType() string { return "reserve.credit_reserve" }
func (CreditReserve) EventVersion() int { return 1 }

// QueryCredit asks the reserve bank what happened to a credit.
type QueryCredit struct {
	TxnID   string `json:"txn_id"`
	Attempt int    `json:"attempt"`
}

func (QueryCredit) EventType() string { return "reserve.query_credit" }
func (QueryCredit) EventVersion() int { return 1 }

// ReserveCredited records a credit to a reserve account for one transaction.
type ReserveCredited struct {
	TxnID          string `json:"txn_id"`
	ReserveAccount string `json:"reserve_account"`
	ChannelID      string `json:"channel_id"`
	Amount         Money  `json:"amount"`
}

func (ReserveCredited) EventType() string { return "reserve.reserve_credited" }
func (ReserveCredited) EventVersion() int { return 1 }

// ReserveCreditRefused records a credit the reserve bank refused.
type ReserveCreditRefused struct {
	TxnID      string `json:"txn_id"`
	ReasonCode string `json:"reason_code"`
}

func (ReserveCreditRefused) EventType() string { return "reserve.reserve_credit_refused" }
func (ReserveCreditRefused) EventVersion() int { return 1 }

// CreditStatusReported answers a QueryCredit (a reply on saga.inbox only).
type CreditStatusReported struct {
	TxnID      string `json:"txn_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (CreditStatusReported) EventType() string { return "reserve.credit_status_reported" }
func (CreditStatusReported) EventVersion() int { return 1 }
