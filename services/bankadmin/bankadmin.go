// Package bankadmin is the simulated payer bank's back office: it opens
// customer accounts with an opening balance. In the model this is the only
// way money enters, so the audit can prove conservation.
package bankadmin

import (
	"context"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
	"github.com/segmentio/kafka-go"
)

// Account is a customer account to open.
type Account struct {
	Number, HolderName, IDNumber, Phone string
	OpeningBalance                      events.Money
}

// OpenAccounts sends payer.open_account commands to payerInbox, keyed by
// each account's payer key. Re-sending the same accounts is harmless: the
// command IDs derive from the account number. It connects through c
// (nil: plaintext).
func OpenAccounts(ctx context.Context, brokers []string, c *kafkaconn.Connector, payerInbox string, d payerkey.Deriver, accounts []Account) error {
	reg := events.Catalog()
	now := time.Now().UTC()
	msgs := make([]kafka.Message, 0, len(accounts))
	for _, a := range accounts {
		key := d.Key(a.Number)
		id := events.DeriveID("open_account", a.Number)
		env, err := reg.New(key, 1, events.OpenAccount{
			PayerKey: key, Account: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
			OpeningBalance: a.OpeningBalance,
		}, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: now})
		if err != nil {
			return err
		}
		o := processor.EnvelopeTo(payerInbox, env)
		msgs = append(msgs, kafka.Message{Key: []byte(o.Key), Value: o.Value})
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(), Topic: payerInbox, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 1000, BatchTimeout: 2 * time.Millisecond, BatchBytes: 16 << 20,
	}
	defer w.Close()
	return w.WriteMessages(ctx, msgs...)
}
