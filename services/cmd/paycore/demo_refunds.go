package main

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
)

// demoRefunds refunds some of the demo's paid payments. The reserve
// accounts are funded first: refunds draw on funded money and on posted
// summaries, not on today's unposted credits. Then, sent together: a
// partial refund of every 4th refundable payment, the full amount of
// every 9th, one refund above what is left (refund_exceeds_original), and
// a burst of 200 one-fen refunds of one customer's payment, the seed's
// bulk-refund incident.
func demoRefunds(ctx context.Context, k config.Kafka, client *channel.Client, outcomes *channel.Outcomes, run string, payOrders []string) error {
	top := k.Topology
	var fundings []bankadmin.Funding
	for _, ch := range []string{"ALIPAY-DEMO", "TENPAY-DEMO"} {
		fundings = append(fundings, bankadmin.Funding{ID: "demo-" + run, ReserveAccount: "RSV-" + ch, Amount: events.CNY("20000.00")})
	}
	if err := bankadmin.FundReservesVia(ctx, k.Brokers, k.Connector, top.Name(topology.ResInbox), fundings); err != nil {
		return err
	}
	fmt.Printf("\n== refunds\nfunded reserve accounts RSV-ALIPAY-DEMO and RSV-TENPAY-DEMO with 20000.00 each\n")

	var paid []events.Outcome
	for _, o := range payOrders {
		for _, out := range outcomes.Get(o) {
			if out.Status == events.StatusSuccess || out.Status == events.StatusPresumedSuccess {
				paid = append(paid, out)
			}
		}
	}
	if len(paid) < 10 {
		return fmt.Errorf("demo: only %d refundable payments", len(paid))
	}
	var reqs []events.Request
	var orders []string
	refund := func(p events.Outcome, tag string, amount events.Money) {
		order := fmt.Sprintf("demo-%s-refund-%s", run, tag)
		reqs = append(reqs, channel.Refund(p.ChannelID, order, order, p.TransactionID, amount))
		orders = append(orders, order)
	}
	for i, p := range paid[1:] {
		switch {
		case i%9 == 0:
			refund(p, fmt.Sprintf("full-%d", i), *p.Amount)
		case i%4 == 0:
			half := p.Amount.MinorUnits() / 2
			refund(p, fmt.Sprintf("part-%d", i), events.CNY(fmt.Sprintf("%d.%02d", half/100, half%100)))
		}
	}
	over, err := paid[2].Amount.Add(events.CNY("0.01"))
	if err != nil {
		return err
	}
	refund(paid[2], "over", over)
	for i := range 200 {
		refund(paid[0], fmt.Sprintf("burst-%d", i), events.CNY("0.01"))
	}
	start := time.Now()
	if err := client.Send(ctx, reqs...); err != nil {
		return err
	}
	if err := outcomes.WaitAll(ctx, orders, channel.Final); err != nil {
		return err
	}
	fmt.Printf("%d refunds (200 of them a burst for one customer's payment of %s) reached a final status in %v\n",
		len(orders), paid[0].Amount, time.Since(start).Round(time.Millisecond))
	printOutcomeSummary("refunds", outcomes, orders)
	return nil
}
