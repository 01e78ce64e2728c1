package scenarios

import (
	"context"
	"fmt"
	"sync"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
)

// The limits every agreement of a run is signed with: far above any
// payment of the stream, so limits refuse nothing and runs compare.
const (
	perPaymentLimit = "100000.00"
	dailyLimit      = "100000000.00"
)

// openAccounts opens accts at the payer bank.
func openAccounts(ctx context.Context, cfg app.Config, accts []bankadmin.Account) error {
	d, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		return err
	}
	return bankadmin.OpenAccounts(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, cfg.Kafka.Topology.Name(topology.PayerInbox), d, accts)
}

// signAll signs one agreement per customer at its institution, at most
// parallel signings at a time, and returns the agreement numbers.
func signAll(ctx context.Context, cfg app.Config, client *channel.Client, outcomes *channel.Outcomes, customers []Customer, parallel int) ([]string, error) {
	out := make([]string, len(customers))
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for i, c := range customers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			no, err := channel.SignAndConfirm(ctx, client, outcomes, Channel(c.Institution), fmt.Sprintf("%ssetup%d", cfg.Kafka.Topology.Prefix, i),
				signBody(c.Account), func(id string) string { return payerbank.SMSCode(cfg.Secrets.SMS, id) })
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("signing customer %d: %w", i, err)
			}
			out[i] = no
		}()
	}
	wg.Wait()
	return out, first
}

func signBody(a bankadmin.Account) events.SignAgreementBody {
	return events.SignAgreementBody{
		PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
		PerPaymentLimit: events.CNY(perPaymentLimit), DailyLimit: events.CNY(dailyLimit),
	}
}

// fundReserves wires amount into every institution's reserve account:
// refunds draw on funded money (payments credited during the run count
// only once clearing posts them).
func fundReserves(ctx context.Context, cfg app.Config, institutions int, amount string) error {
	fs := make([]bankadmin.Funding, institutions)
	for i := range fs {
		fs[i] = bankadmin.Funding{ID: cfg.Kafka.Topology.Prefix + "funding", ReserveAccount: ReserveAccount(i), Amount: events.CNY(amount)}
	}
	return bankadmin.FundReservesVia(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, cfg.Kafka.Topology.Name(topology.ResInbox), fs)
}

// payAll pays amount n times from agreement at institution inst, all at
// once, and returns the transaction IDs of the payments (all must
// succeed).
func payAll(ctx context.Context, cfg app.Config, client *channel.Client, outcomes *channel.Outcomes, inst int, agreement, amount string, n int) ([]string, error) {
	orders := make([]string, n)
	reqs := make([]events.Request, n)
	for i := range reqs {
		orders[i] = fmt.Sprintf("%sburstpay%d", cfg.Kafka.Topology.Prefix, i)
		reqs[i] = channel.Pay(Channel(inst), orders[i], orders[i], agreement, events.CNY(amount))
	}
	if err := client.Send(ctx, reqs...); err != nil {
		return nil, err
	}
	txns := make([]string, n)
	for i, o := range orders {
		out, err := outcomes.Wait(ctx, o, channel.Final)
		if err != nil {
			return nil, err
		}
		if out.Status != events.StatusSuccess {
			return nil, fmt.Errorf("payment %s: %s %s", o, out.Status, out.ReasonCode)
		}
		txns[i] = out.TransactionID
	}
	return txns, nil
}
