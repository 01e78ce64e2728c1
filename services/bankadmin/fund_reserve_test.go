package bankadmin

import (
	"context"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/segmentio/kafka-go"
)

func TestFundingCommand(t *testing.T) {
	reg := events.Catalog()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	f := Funding{ID: "F1", ReserveAccount: "RSV-alipay", Amount: events.CNY("1000.00")}
	a, err := FundingCommand(reg, f, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FundingCommand(reg, f, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.AggregateID != "RSV-alipay" || a.Type != "reserve.fund_reserve" {
		t.Fatalf("commands %+v and %+v: want one ID per funding, keyed by the account", a, b)
	}
	other, _ := FundingCommand(reg, Funding{ID: "F2", ReserveAccount: "RSV-alipay", Amount: events.CNY("1000.00")}, now)
	if other.ID == a.ID {
		t.Fatal("two fundings share a command ID")
	}
	for name, bad := range map[string]Funding{
		"no ID":       {ReserveAccount: "R", Amount: events.CNY("1.00")},
		"no account":  {ID: "F", Amount: events.CNY("1.00")},
		"zero amount": {ID: "F", ReserveAccount: "R", Amount: events.CNY("0.00")},
	} {
		if _, err := FundingCommand(reg, bad, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FundReserves writes the commands to the reserve inbox on the real broker,
// keyed by reserve account.
func TestFundReservesWritesTheCommands(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "paycore-test")
	kafkatest.CreateTopic(t, brokers, topic, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fundings := []Funding{
		{ID: "F1", ReserveAccount: "RSV-a", Amount: events.CNY("10.00")},
		{ID: "F2", ReserveAccount: "RSV-b", Amount: events.CNY("0.01")},
	}
	if err := FundReserves(ctx, brokers, topic, fundings); err != nil {
		t.Fatal(err)
	}
	reg := events.Catalog()
	got := map[string]events.FundReserve{}
	for p := range 2 {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		for {
			rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
			m, err := r.ReadMessage(rctx)
			rcancel()
			if err != nil {
				break
			}
			env, err := events.Unmarshal(m.Value)
			if err != nil {
				t.Fatal(err)
			}
			pl, err := reg.Decode(env)
			if err != nil {
				t.Fatal(err)
			}
			f := pl.(events.FundReserve)
			if string(m.Key) != f.ReserveAccount || env.AggregateID != f.ReserveAccount {
				t.Errorf("funding %s keyed %q", f.FundingID, m.Key)
			}
			got[f.FundingID] = f
		}
		r.Close()
	}
	if len(got) != 2 || !got["F1"].Amount.Equal(events.CNY("10.00")) || got["F2"].ReserveAccount != "RSV-b" {
		t.Fatalf("read %+v", got)
	}
}
