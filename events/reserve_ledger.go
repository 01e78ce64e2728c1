package events

// The reserve bank's sub-account ledger (分户). A reserve account R is
// split into N sub-accounts, each an aggregate of the reserve processor
// keyed by SubAccountKey(R, i), so the refund debits of one hot account
// spread over partitions. The types below are the bank's internal
// book-keeping: they travel on reserve.inbox and reserve.events only, never
// to the switch.
//
// Money enters a sub-account by CreditSubAccount (a share of a funding or
// of a summarized posting), leaves it by ReserveDebited (a refund) and by
// SubAccountLent (a transfer to a sibling that is short), and comes back
// by ReserveDebitReversed and BorrowReturned (the transfers a sibling
// collected). Every move is an event, so balances replay exactly and the
// account's money is conserved:
//
//	funded + posted − debited + reversed =
//	    Σ sub-account balances + lent not yet returned + shares not yet credited

// Sources of a CreditSubAccount.
const (
	SubCreditFunding = "funding" // a share of a ReserveFunded
	SubCreditSummary = "summary" // a share of a ReserveSummaryPosted
)

// ReserveFunded records funds wired into a reserve account (the answer to
// FundReserve), under the account's aggregate. The bank then spreads the
// amount over the sub-accounts with CreditSubAccount commands.
type ReserveFunded struct {
	FundingID      string `json:"funding_id"`
	ReserveAccount string `json:"reserve_account"`
	Amount         Money  `json:"amount"`
}

func (ReserveFunded) EventType() string { return "reserve.reserve_funded" }
func (ReserveFunded) EventVersion() int { return 1 }

// CreditSubAccount moves one share of a funding or a summarized posting
// into a sub-account (keyed by SubAccount). TransferID identifies the
// share: a sub-account credits it at most once.
type CreditSubAccount struct {
	TransferID     string `json:"transfer_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Source         string `json:"source"`    // SubCreditFunding or SubCreditSummary
	SourceID       string `json:"source_id"` // the funding ID or the batch ID
	Amount         Money  `json:"amount"`
}

func (CreditSubAccount) EventType() string { return "reserve.credit_sub_account" }
func (CreditSubAccount) EventVersion() int { return 1 }

// SubAccountCredited records a CreditSubAccount applied.
type SubAccountCredited struct {
	TransferID     string `json:"transfer_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Source         string `json:"source"`
	SourceID       string `json:"source_id"`
	Amount         Money  `json:"amount"`
	BalanceAfter   Money  `json:"balance_after"`
}

func (SubAccountCredited) EventType() string { return "reserve.sub_account_credited" }
func (SubAccountCredited) EventVersion() int { return 1 }

// ReserveDebitHeld records a refund debit the sub-account received but
// cannot decide yet: its balance is short, or earlier debits wait ahead of
// it. Nothing moves; the debit waits, in arrival order, for a borrow round.
type ReserveDebitHeld struct {
	DebitID        string `json:"debit_id"`
	TxnID          string `json:"txn_id"`
	RefundID       string `json:"refund_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	ChannelID      string `json:"channel_id"`
	Amount         Money  `json:"amount"`
}

func (ReserveDebitHeld) EventType() string { return "reserve.reserve_debit_held" }
func (ReserveDebitHeld) EventVersion() int { return 1 }

// BorrowStarted records a borrow round of a sub-account whose held debits
// its balance does not cover: a BorrowFromSibling travels the ring of
// sibling sub-accounts asking for Need. Priority is the DebitID of the
// debit the round is for; a sibling with a round of its own gives only to
// rounds of a lower Priority (see the reservebank package doc).
type BorrowStarted struct {
	BorrowID       string `json:"borrow_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	DebitID        string `json:"debit_id"`
	Round          int    `json:"round"`
	Need           Money  `json:"need"`
}

func (BorrowStarted) EventType() string { return "reserve.borrow_started" }
func (BorrowStarted) EventVersion() int { return 1 }

// BorrowFromSibling is a borrow round on its way around the ring, keyed by
// SubAccount, the sibling it is addressed to. It carries the money the
// siblings gave so far (Carried) and what is still missing (Need). When it
// reaches Requester again, the round is over.
type BorrowFromSibling struct {
	BorrowID       string `json:"borrow_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Requester      string `json:"requester"`
	SubAccounts    int    `json:"sub_accounts"`
	Priority       string `json:"priority"`
	Hop            int    `json:"hop"`
	Need           Money  `json:"need"`
	Carried        Money  `json:"carried"`
	// Contended is set once a sibling on the way had a round of its own:
	// money may have been moving between siblings while this round passed.
	Contended bool `json:"contended"`
}

func (BorrowFromSibling) EventType() string { return "reserve.borrow_from_sibling" }
func (BorrowFromSibling) EventVersion() int { return 1 }

// SubAccountLent records a sibling's part in a borrow round: it gave
// Amount (zero when it had nothing free) and passed the round on. Need and
// Carried are the round's after this hop.
type SubAccountLent struct {
	BorrowID       string `json:"borrow_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Requester      string `json:"requester"`
	Priority       string `json:"priority"`
	Hop            int    `json:"hop"`
	Amount         Money  `json:"amount"`
	BalanceAfter   Money  `json:"balance_after"`
	Need           Money  `json:"need"`
	Carried        Money  `json:"carried"`
	Contended      bool   `json:"contended"`
}

func (SubAccountLent) EventType() string { return "reserve.sub_account_lent" }
func (SubAccountLent) EventVersion() int { return 1 }

// BorrowReturned records the end of a borrow round at the requester: the
// money the siblings gave (Amount) is credited. The held debits are then
// decided in arrival order.
type BorrowReturned struct {
	BorrowID       string `json:"borrow_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Amount         Money  `json:"amount"`
	BalanceAfter   Money  `json:"balance_after"`
	Contended      bool   `json:"contended"`
}

func (BorrowReturned) EventType() string { return "reserve.borrow_returned" }
func (BorrowReturned) EventVersion() int { return 1 }
