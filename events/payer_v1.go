package events

// Frozen payer-bank payload versions: superseded, never written again, but
// still in the logs. Never edit these structs: their JSON shape is what the
// log holds (see Upcast).

// AccountOpenedV1 is version 1 of payer.account_opened, superseded by
// AccountOpened (version 2) and read through upcastAccountOpenedV1.
type AccountOpenedV1 struct {
	PayerKey       string `json:"payer_key"`
	Account        string `json:"account"`
	HolderName     string `json:"holder_name"`
	IDNumber       string `json:"id_number"`
	Phone          string `json:"phone"`
	OpeningBalance Money  `json:"opening_balance"`
}

func (AccountOpenedV1) EventType() string { return "payer.account_opened" }
func (AccountOpenedV1) EventVersion() int { return 1 }

// upcastAccountOpenedV1 reads a version 1 account as version 2. Version 1
// had no document type because every account was identified by a resident
// identity card, so that is the type it meant.
func upcastAccountOpenedV1(v1 AccountOpenedV1) AccountOpened {
	return AccountOpened{
		PayerKey: v1.PayerKey,
		Account:  v1.Account,
		Holder: AccountHolder{
			Name:     v1.HolderName,
			IDType:   IDTypeResidentID,
			IDNumber: v1.IDNumber,
			Phone:    v1.Phone,
		},
		OpeningBalance: v1.OpeningBalance,
	}
}
