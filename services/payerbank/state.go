package payerbank

// state is everything one partition knows, rebuilt by folding its part of
// payer.events. Only Handler.Apply changes it.
type state struct {
	// seq is the last folded sequence per payer key: the per-aggregate
	// position that makes Apply idempotent and numbers the next event.
	seq          map[string]uint64
	accounts     map[string]*account     // by payer key
	signings     map[string]*signing     // by signing ID
	agreements   map[string]*agreement   // by agreement number
	terminations map[string]*termination // by terminate request ID
	legs         map[string]*payerLeg    // by transaction ID
	credits      map[string]*payerCredit // refund credits, by credit ID
	// direct is the legacy direct link during cutover (direct.go).
	direct directBook
}

func newState() *state {
	return &state{
		seq:          map[string]uint64{},
		accounts:     map[string]*account{},
		signings:     map[string]*signing{},
		agreements:   map[string]*agreement{},
		terminations: map[string]*termination{},
		legs:         map[string]*payerLeg{},
		credits:      map[string]*payerCredit{},
	}
}
