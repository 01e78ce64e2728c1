package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
)

// demoLegacyChannel is the institution of the demo's cutover (切量): its
// payments start on the legacy direct path and move to NetsUnion by rules
// published while paycore runs.
const demoLegacyChannel = "LEGACY-DEMO"

// demoCutover signs 12 customers with the legacy institution, publishes
// rules v1 (everything on the direct path, legacy refunds advanced by the
// bank), pays once per customer, publishes v2 (50% rolled out to
// NetsUnion, decided per payer key) and pays again, both paths running
// side by side; then refunds one direct payment the legacy way and
// prints which path and rules version carried each payment.
func demoCutover(ctx context.Context, k config.Kafka, rules *cutover.Follower, secrets config.Secrets,
	client *channel.Client, outcomes *channel.Outcomes, run string) error {
	top := k.Topology
	d, err := payerkey.NewDeriver(secrets.PayerKey)
	if err != nil {
		return err
	}
	var accts []bankadmin.Account
	for i := range 12 {
		accts = append(accts, bankadmin.Account{Number: fmt.Sprintf("621700%013d", i), HolderName: fmt.Sprintf("Stock customer %d", i),
			IDNumber: fmt.Sprintf("1101051980%07dX", i), Phone: fmt.Sprintf("139%08d", i), OpeningBalance: events.CNY("3000.00")})
	}
	if err := bankadmin.OpenAccounts(ctx, k.Brokers, k.Connector, top.Name(topology.PayerInbox), d, accts); err != nil {
		return err
	}
	var agreements []string
	for i, a := range accts {
		no, err := channel.SignAndConfirm(ctx, client, outcomes, demoLegacyChannel, fmt.Sprintf("demo-%s-legacy-sign-%d", run, i),
			events.SignAgreementBody{PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
				PerPaymentLimit: events.CNY("500.00"), DailyLimit: events.CNY("2000.00")},
			func(signingID string) string { return payerbank.SMSCode(secrets.SMS, signingID) })
		if err != nil {
			return err
		}
		agreements = append(agreements, no)
	}
	reg := events.Catalog()
	publish := func(version int, in events.InstitutionRules) error {
		in.ChannelID = demoLegacyChannel
		if err := cutover.Publish(ctx, k.Brokers, k.Connector, top.Name(topology.CutoverRules), reg,
			events.CutoverRulesPublished{Version: version, Institutions: []events.InstitutionRules{in}}, time.Now()); err != nil {
			return err
		}
		for rules.Rules().Version() != version {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
	pay := func(round string) ([]events.Outcome, error) {
		var orders []string
		var reqs []events.Request
		for i, no := range agreements {
			order := fmt.Sprintf("demo-%s-cutover-%s-%d", run, round, i)
			reqs = append(reqs, channel.Pay(demoLegacyChannel, order, order, no, events.CNY("120.00")))
			orders = append(orders, order)
		}
		if err := client.Send(ctx, reqs...); err != nil {
			return nil, err
		}
		if err := outcomes.WaitAll(ctx, orders, channel.Final); err != nil {
			return nil, err
		}
		var outs []events.Outcome
		for _, o := range orders {
			outs = append(outs, outcomes.Get(o)[0])
		}
		return outs, nil
	}

	fmt.Printf("\n== cutover (切量) of %s: rules are versioned events, changed while paycore runs\n", demoLegacyChannel)
	if err := publish(1, events.InstitutionRules{DefaultPath: events.PathDirect, LegacyRefund: events.LegacyRefundBankAdvance}); err != nil {
		return err
	}
	round1, err := pay("v1")
	if err != nil {
		return err
	}
	fifty := 50
	if err := publish(2, events.InstitutionRules{DefaultPath: events.PathDirect, RolloutPercent: &fifty,
		LegacyRefund: events.LegacyRefundBankAdvance}); err != nil {
		return err
	}
	round2, err := pay("v2")
	if err != nil {
		return err
	}
	type key struct {
		rules, path, status string
	}
	counts := map[key]int{}
	for _, r := range []struct {
		rules string
		outs  []events.Outcome
	}{{"v1: all direct", round1}, {"v2: 50% rolled out", round2}} {
		for _, o := range r.outs {
			path := o.Path
			if path == "" {
				path = events.PathNetsUnion // NetsUnion outcomes carry no path
			}
			counts[key{r.rules, path, o.Status}]++
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "RULES\tPATH\tSTATUS\tPAYMENTS")
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", k.rules, k.path, k.status, counts[k])
	}
	if err := w.Flush(); err != nil {
		return err
	}

	// A refund of a payment made over the direct link, after the rules
	// moved its customer: the bank advances it, the institution owes it.
	var direct events.Outcome
	for _, o := range round1 {
		if o.Status == events.StatusSuccess && o.Path == events.PathDirect {
			direct = o
			break
		}
	}
	if direct.TransactionID == "" {
		return fmt.Errorf("demo: no successful direct payment to refund")
	}
	order := "demo-" + run + "-legacy-refund"
	if err := client.Send(ctx, channel.LegacyRefund(demoLegacyChannel, order, order, direct.TransactionID, events.CNY("45.00"))); err != nil {
		return err
	}
	out, err := outcomes.Wait(ctx, order, channel.Final)
	if err != nil {
		return err
	}
	fmt.Printf("legacy refund of direct payment %s (bank_advance): %s, 45.00 back to the customer, owed by %s to the bank\n",
		direct.TransactionID, strings.TrimSpace(out.Status+" "+out.ReasonCode), demoLegacyChannel)
	return nil
}
