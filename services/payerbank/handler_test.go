package payerbank

import (
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

// Messages the bank can never handle are errors: the runtime parks them on
// the poison topic with the reason.
func TestHandlePoison(t *testing.T) {
	tests := []struct {
		name string
		msg  func(b *bank) events.Payload
		env  func(m *events.Envelope)
		want string
	}{
		{
			name: "not a payer-bank command",
			msg: func(*bank) events.Payload {
				return events.CreditReserve{TxnID: "T", ReserveAccount: "R", ChannelID: chanA, Amount: events.CNY("1.00")}
			},
			want: "not a payer-bank command",
		},
		{
			name: "routed by another key",
			msg:  func(*bank) events.Payload { return events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1} },
			env:  func(m *events.Envelope) { m.AggregateID = carol.key },
			want: "routed by key",
		},
		{
			name: "account reopened with other details",
			msg: func(*bank) events.Payload {
				return events.OpenAccount{PayerKey: alice.key, Account: alice.account, HolderName: alice.holder, IDNumber: alice.idNumber, Phone: alice.phone, OpeningBalance: events.CNY("2000.00")}
			},
			want: "already open",
		},
		{
			name: "negative opening balance",
			msg: func(*bank) events.Payload {
				return events.OpenAccount{PayerKey: nobody.key, Account: nobody.account, HolderName: nobody.holder, IDNumber: nobody.idNumber, Phone: nobody.phone, OpeningBalance: events.CNY("-0.01")}
			},
			want: "opening balance",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t)
			b.open(alice, "1000.00")
			m := b.msg("poison", tt.msg(b))
			if tt.env != nil {
				tt.env(&m.Envelope)
			}
			out, err := b.h.Handle(m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			nothing(t, out)
		})
	}
}

func TestOpenAccount(t *testing.T) {
	b := newBank(t)
	c := events.OpenAccount{PayerKey: alice.key, Account: alice.account, HolderName: alice.holder, IDNumber: alice.idNumber, Phone: alice.phone, OpeningBalance: events.CNY("0.00")}
	out := b.do("open", c)
	recorded(t, out, openingOf(c))
	if len(out.Messages) != 0 {
		t.Errorf("opening an account sent %d messages", len(out.Messages))
	}
	nothing(t, b.do("open again", c))
	if got := b.balance(alice); got != "0.00" {
		t.Errorf("balance %s, want 0.00", got)
	}
}

func TestConfig(t *testing.T) {
	valid := Config{Topics: Topics{SagaInbox: "s", Outcomes: "o"}, SMSSecret: "x"}
	tests := []struct {
		name string
		mod  func(c *Config)
		want string // "" for valid
	}{
		{name: "defaults", mod: func(*Config) {}},
		{name: "no saga inbox", mod: func(c *Config) { c.Topics.SagaInbox = "" }, want: "SagaInbox"},
		{name: "no outcomes", mod: func(c *Config) { c.Topics.Outcomes = "" }, want: "Outcomes"},
		{name: "no secret", mod: func(c *Config) { c.SMSSecret = "" }, want: "SMSSecret"},
		{name: "negative ttl", mod: func(c *Config) { c.SMSCodeTTL = -time.Second }, want: "SMSCodeTTL"},
		{name: "negative attempts", mod: func(c *Config) { c.MaxSMSAttempts = -1 }, want: "MaxSMSAttempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mod(&c)
			f, err := NewFactory(c, reg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				h := f(3).(*Handler)
				if h.cfg.SMSCodeTTL != DefaultSMSCodeTTL || h.cfg.MaxSMSAttempts != DefaultMaxSMSAttempts {
					t.Errorf("defaults not applied: %+v", h.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
	if _, err := New(valid, nil); err == nil {
		t.Error("New accepted a nil registry")
	}
}

func TestBeijingDay(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2024, 2, 29, 15, 59, 59, 999999999, time.UTC): "2024-02-29",
		time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC):           "2024-03-01",
		time.Date(2024, 12, 31, 16, 0, 0, 0, time.UTC):          "2025-01-01",
	} {
		if got := beijingDay(in); got != want {
			t.Errorf("beijingDay(%v) = %s, want %s", in, got, want)
		}
	}
}
