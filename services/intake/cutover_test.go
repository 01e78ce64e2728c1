package intake

import (
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/cutover"
)

const (
	testCutoverInbox = "paycore.cutover.inbox"
	testDirectInbox  = "paycore.direct.inbox"
)

// cutoverHandler is an intake routing with rules (nil: none published).
func cutoverHandler(t *testing.T, rules *cutover.Rules) *Handler {
	t.Helper()
	cfg := testConfig(t)
	cfg.Topics.CutoverInbox, cfg.Topics.DirectInbox = testCutoverInbox, testDirectInbox
	cfg.Routes = cutover.Static(rules)
	h, err := newHandler(cfg, events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testRules(t *testing.T, version int, in events.InstitutionRules) *cutover.Rules {
	t.Helper()
	in.ChannelID = testChannel
	r, err := cutover.New(events.CutoverRulesPublished{Version: version, Institutions: []events.InstitutionRules{in}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// only returns the one envelope h sent for value, decoded.
func only(t *testing.T, h *Handler, value string) (string, events.Envelope, events.Payload) {
	t.Helper()
	out, err := h.Handle(message([]byte(value)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages, want 1", len(out.Messages))
	}
	env, err := events.Unmarshal(out.Messages[0].Value)
	if err != nil {
		t.Fatalf("not an envelope on %s: %v", out.Messages[0].Topic, err)
	}
	p, err := events.Catalog().Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages[0].Topic, env, p
}

func TestPayWithoutRoutesGoesToTheSaga(t *testing.T) {
	topic, _, p := only(t, testHandler(t), payRequest(t))
	if _, ok := p.(events.StartPayment); !ok || topic != testConfig(t).Topics.SagaInbox {
		t.Fatalf("pay without cutover sent %T to %s", p, topic)
	}
}

func TestPayWithRoutesGoesToTheRouterWithTheDecision(t *testing.T) {
	direct := cutoverHandler(t, testRules(t, 1, events.InstitutionRules{DefaultPath: events.PathDirect}))
	topic, env1, p := only(t, direct, payRequest(t))
	rp, ok := p.(events.RoutePayment)
	if !ok || topic != testCutoverInbox {
		t.Fatalf("sent %T to %s, want a RoutePayment to %s", p, topic, testCutoverInbox)
	}
	if rp.Path != events.PathDirect || rp.RouteVersion != 1 || rp.Clause != events.ClauseDefault {
		t.Fatalf("decision %s v%d %s", rp.Path, rp.RouteVersion, rp.Clause)
	}
	if env1.AggregateID != rp.Payment.TxnID || rp.Payment.AgreementNo != testAgreementNo(t) || rp.Payment.ReserveAccount != testReserve {
		t.Fatalf("payment %+v keyed %s", rp.Payment, env1.AggregateID)
	}

	// The same request under other rules: another decision, the same
	// command ID, so the router sees a repeat of one request.
	netsunion := cutoverHandler(t, testRules(t, 2, events.InstitutionRules{DefaultPath: events.PathNetsUnion}))
	_, env2, p2 := only(t, netsunion, payRequest(t))
	if p2.(events.RoutePayment).Path != events.PathNetsUnion || env2.ID != env1.ID {
		t.Fatalf("repeat under v2: path %s, ID %s vs %s", p2.(events.RoutePayment).Path, env2.ID, env1.ID)
	}

	// No rules published yet: NetsUnion, version 0, through the router.
	_, _, p3 := only(t, cutoverHandler(t, nil), payRequest(t))
	if d := p3.(events.RoutePayment); d.Path != events.PathNetsUnion || d.RouteVersion != 0 || d.Clause != events.ClauseNoRules {
		t.Fatalf("no rules: %+v", d)
	}
}

func legacyRefundRequest(txnID, amount string) string {
	return request(events.RequestLegacyRefund, `{"txn_id":"`+txnID+`","amount":{"amount":"`+amount+`","currency":"CNY"}}`)
}

func TestLegacyRefundCarriesTheInstitutionsMethod(t *testing.T) {
	for _, method := range []string{events.LegacyRefundBankAdvance, events.LegacyRefundPrefund, events.LegacyRefundClosed} {
		h := cutoverHandler(t, testRules(t, 4, events.InstitutionRules{DefaultPath: events.PathDirect, LegacyRefund: method}))
		topic, env, p := only(t, h, legacyRefundRequest(testTxnID, "2.30"))
		c, ok := p.(events.StartLegacyRefund)
		if !ok || topic != testDirectInbox || env.AggregateID != testTxnID {
			t.Fatalf("%s: sent %T to %s keyed %s", method, p, topic, env.AggregateID)
		}
		if c.Method != method || c.RouteVersion != 4 || c.TxnID != testTxnID || !c.Amount.Equal(events.CNY("2.30")) {
			t.Fatalf("%s: command %+v", method, c)
		}
		if c.RefundID != events.DeriveID("legacy_refund", testChannel, testKey) || c.BodyHash == "" {
			t.Fatalf("%s: refund ID %s, body hash %q", method, c.RefundID, c.BodyHash)
		}
	}
}

func TestLegacyRefundRejections(t *testing.T) {
	routed := cutoverHandler(t, nil)
	for _, tc := range []struct {
		name  string
		h     *Handler
		value string
		code  string
	}{
		{"cutover not enabled", testHandler(t), legacyRefundRequest(testTxnID, "1.00"), events.ReasonLegacyPathUnavailable},
		{"txn_id not a paycore ID", routed, legacyRefundRequest("TXN-1", "1.00"), events.ReasonNotDirectPayment},
		{"zero amount", routed, legacyRefundRequest(testTxnID, "0.00"), events.CodeAmountNotPositive},
		{"negative amount", routed, legacyRefundRequest(testTxnID, "-1.00"), events.CodeAmountNegative},
		{"unknown member", routed, request(events.RequestLegacyRefund, `{"txn_id":"`+testTxnID+`","amount":{"amount":"1.00","currency":"CNY"},"method":"prefund"}`), events.ReasonSchemaViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.h.Handle(message([]byte(tc.value)))
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) != 2 || !strings.Contains(string(out.Messages[0].Value), `"reason_code":"`+tc.code+`"`) {
				t.Fatalf("want a rejection %s, got %d messages: %s", tc.code, len(out.Messages), out.Messages[0].Value)
			}
		})
	}
}

func TestCutoverConfigValidation(t *testing.T) {
	base := testConfig(t)
	base.Routes = cutover.Static(nil)
	for _, tc := range []struct {
		name          string
		cutover, dirc string
		want          string
	}{
		{"no cutover inbox", "", testDirectInbox, "CutoverInbox is empty"},
		{"no direct inbox", testCutoverInbox, "", "DirectInbox is empty"},
		{"same topic", testCutoverInbox, testCutoverInbox, "must differ"},
		{"clashes with the saga inbox", base.Topics.SagaInbox, testDirectInbox, "must differ"},
	} {
		cfg := base
		cfg.Topics.CutoverInbox, cfg.Topics.DirectInbox = tc.cutover, tc.dirc
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
