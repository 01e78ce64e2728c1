package bankadmin

import (
	"context"
	"errors"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/processor"
	"github.com/segmentio/kafka-go"
)

// Funding is money a channel wires into its reserve account (备付金账户)
// at the reserve bank, making it available to refunds.
type Funding struct {
	// ID identifies the funding: sending the same ID again is harmless,
	// the bank records it once. A different amount under a recorded ID is
	// refused (poison) by the bank.
	ID             string
	ReserveAccount string
	Amount         events.Money
}

// FundingCommand builds the reserve.fund_reserve envelope of f, keyed by
// the reserve account, at time now. Its ID derives from the account and
// the funding ID, so a re-sent funding is the same command.
func FundingCommand(reg *events.Registry, f Funding, now time.Time) (events.Envelope, error) {
	if f.ID == "" || f.ReserveAccount == "" {
		return events.Envelope{}, errors.New("bankadmin: funding needs an ID and a reserve account")
	}
	if !f.Amount.IsPositive() {
		return events.Envelope{}, errors.New("bankadmin: funding amount must be positive")
	}
	id := events.DeriveID("fund_reserve", f.ReserveAccount, f.ID)
	return reg.New(f.ReserveAccount, 1, events.FundReserve{
		FundingID: f.ID, ReserveAccount: f.ReserveAccount, Amount: f.Amount,
	}, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: now.UTC()})
}

// FundReserves is FundReservesVia over plaintext connections.
func FundReserves(ctx context.Context, brokers []string, reserveInbox string, fundings []Funding) error {
	return FundReservesVia(ctx, brokers, nil, reserveInbox, fundings)
}

// FundReservesVia sends reserve.fund_reserve commands to reserveInbox,
// connecting through c (nil: plaintext). The reserve bank records each
// funding under the account and spreads it over the account's
// sub-accounts.
func FundReservesVia(ctx context.Context, brokers []string, c *kafkaconn.Connector, reserveInbox string, fundings []Funding) error {
	reg := events.Catalog()
	now := time.Now()
	msgs := make([]kafka.Message, 0, len(fundings))
	for _, f := range fundings {
		env, err := FundingCommand(reg, f, now)
		if err != nil {
			return err
		}
		o := processor.EnvelopeTo(reserveInbox, env)
		msgs = append(msgs, kafka.Message{Key: []byte(o.Key), Value: o.Value})
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(), Topic: reserveInbox, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 2 * time.Millisecond,
	}
	defer w.Close()
	return w.WriteMessages(ctx, msgs...)
}
