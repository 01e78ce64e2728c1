package cutover

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// payer returns the payer key and an agreement number of test account n.
func payer(t *testing.T, n string) (key, agreementNo string) {
	t.Helper()
	d, err := payerkey.NewDeriver("cutover-test")
	if err != nil {
		t.Fatal(err)
	}
	key = d.Key("62220202000" + n)
	return key, payerkey.AgreementNo(key, events.DeriveID("signing", n))
}

func percent(n int) *int { return &n }

// payerInBucket returns a test payer whose bucket is below (or, with
// below false, at or above) limit.
func payerInBucket(t *testing.T, limit int, below bool) (key, agreementNo string) {
	t.Helper()
	for i := range 1000 {
		k, a := payer(t, "b"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		if (Bucket(k) < limit) == below {
			return k, a
		}
	}
	t.Fatalf("no payer with bucket below=%v %d in 1000 tries", below, limit)
	return "", ""
}

func TestRoutePrecedence(t *testing.T) {
	denied, deniedNo := payer(t, "00001")
	allowed, allowedNo := payer(t, "00002")
	stock, stockNo := payer(t, "00003")
	both, bothNo := payer(t, "00004") // on deny and in stock: deny wins
	fresh, freshNo := payer(t, "00005")
	low, lowNo := payerInBucket(t, 50, true)
	high, highNo := payerInBucket(t, 50, false)

	rules := func(in events.InstitutionRules) *Rules {
		t.Helper()
		in.ChannelID = "alipay"
		r, err := New(events.CutoverRulesPublished{Version: 7, Institutions: []events.InstitutionRules{in}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	full := rules(events.InstitutionRules{
		DefaultPath: events.PathDirect,
		Deny:        []string{denied, both},
		Allow:       []string{allowedNo},
		Stock:       []string{stockNo, both},
		StockUsers:  events.PathDirect,
		NewUsers:    events.PathNetsUnion,
	})
	rollout := rules(events.InstitutionRules{DefaultPath: events.PathNetsUnion, RolloutPercent: percent(50)})
	stockRollout := rules(events.InstitutionRules{
		DefaultPath: events.PathDirect, Stock: []string{stock}, NewUsers: events.PathNetsUnion, RolloutPercent: percent(100),
	})
	defaults := rules(events.InstitutionRules{DefaultPath: events.PathDirect})
	zero := rules(events.InstitutionRules{DefaultPath: events.PathNetsUnion, RolloutPercent: percent(0)})

	for _, tc := range []struct {
		name        string
		rules       *Rules
		channel     string
		key, no     string
		path        string
		clause      string
		wantVersion int
	}{
		{"no rules yet", nil, "alipay", fresh, freshNo, events.PathNetsUnion, events.ClauseNoRules, 0},
		{"institution not listed", full, "tenpay", denied, deniedNo, events.PathNetsUnion, events.ClauseUnlisted, 7},
		{"deny by payer key", full, "alipay", denied, deniedNo, events.PathDirect, events.ClauseDeny, 7},
		{"deny beats stock cohort", full, "alipay", both, bothNo, events.PathDirect, events.ClauseDeny, 7},
		{"allow by agreement number", full, "alipay", allowed, allowedNo, events.PathNetsUnion, events.ClauseAllow, 7},
		{"stock cohort by agreement number", full, "alipay", stock, stockNo, events.PathDirect, events.ClauseCohortStock, 7},
		{"new cohort", full, "alipay", fresh, freshNo, events.PathNetsUnion, events.ClauseCohortNew, 7},
		{"rollout bucket below percent", rollout, "alipay", low, lowNo, events.PathNetsUnion, events.ClauseRollout, 7},
		{"rollout bucket at or above percent", rollout, "alipay", high, highNo, events.PathDirect, events.ClauseRollout, 7},
		{"stock without a stock path falls to rollout", stockRollout, "alipay", stock, stockNo, events.PathNetsUnion, events.ClauseRollout, 7},
		{"new cohort beats rollout", stockRollout, "alipay", fresh, freshNo, events.PathNetsUnion, events.ClauseCohortNew, 7},
		{"rollout 0 keeps everyone direct", zero, "alipay", low, lowNo, events.PathDirect, events.ClauseRollout, 7},
		{"default", defaults, "alipay", fresh, freshNo, events.PathDirect, events.ClauseDefault, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rules.Route(Request{ChannelID: tc.channel, PayerKey: tc.key, AgreementNo: tc.no})
			want := Decision{Path: tc.path, Version: tc.wantVersion, Clause: tc.clause}
			if got != want {
				t.Fatalf("Route = %+v, want %+v", got, want)
			}
		})
	}
}

func TestBucketIsStableAndSpread(t *testing.T) {
	counts := make([]int, 10)
	for i := range 2000 {
		k, _ := payer(t, string(rune('A'+i%26))+string(rune('A'+(i/26)%26))+string(rune('A'+i/676)))
		b := Bucket(k)
		if b < 0 || b > 99 {
			t.Fatalf("bucket %d outside 0..99", b)
		}
		if Bucket(k) != b {
			t.Fatal("bucket not deterministic")
		}
		counts[b/10]++
	}
	for i, c := range counts {
		// 200 expected per decile; a hash that clumps would miss this.
		if c < 130 || c > 270 {
			t.Errorf("decile %d holds %d of 2000 payers", i, c)
		}
	}
}

func TestRolloutRaisingPercentOnlyMovesTowardsNetsUnion(t *testing.T) {
	at := func(p int) *Rules {
		r, err := New(events.CutoverRulesPublished{Version: p + 1, Institutions: []events.InstitutionRules{
			{ChannelID: "jd", DefaultPath: events.PathDirect, RolloutPercent: percent(p)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i := range 300 {
		k, no := payer(t, "r"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		req := Request{ChannelID: "jd", PayerKey: k, AgreementNo: no}
		onNetsUnion := false
		for p := 0; p <= 100; p += 10 {
			now := at(p).Route(req).Path == events.PathNetsUnion
			if onNetsUnion && !now {
				t.Fatalf("payer %s moved back to direct at %d%%", k, p)
			}
			onNetsUnion = now
		}
		if !onNetsUnion {
			t.Fatalf("payer %s not on NetsUnion at 100%%", k)
		}
	}
}

func TestLegacyRefundMethod(t *testing.T) {
	r, err := New(events.CutoverRulesPublished{Version: 1, Institutions: []events.InstitutionRules{
		{ChannelID: "a", DefaultPath: events.PathDirect, LegacyRefund: events.LegacyRefundBankAdvance},
		{ChannelID: "b", DefaultPath: events.PathDirect, LegacyRefund: events.LegacyRefundPrefund},
		{ChannelID: "c", DefaultPath: events.PathDirect},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var none *Rules
	for _, tc := range []struct {
		rules          *Rules
		channel, which string
	}{
		{r, "a", events.LegacyRefundBankAdvance},
		{r, "b", events.LegacyRefundPrefund},
		{r, "c", events.LegacyRefundClosed},
		{r, "unlisted", events.LegacyRefundClosed},
		{none, "a", events.LegacyRefundClosed},
	} {
		if got := tc.rules.LegacyRefundMethod(tc.channel); got != tc.which {
			t.Errorf("version %d, channel %s: method %s, want %s", tc.rules.Version(), tc.channel, got, tc.which)
		}
	}
}
