package cutover

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

func TestRulesValidation(t *testing.T) {
	key, no := payer(t, "00009")
	ok := events.InstitutionRules{ChannelID: "alipay", DefaultPath: events.PathDirect}
	with := func(change func(*events.InstitutionRules)) events.CutoverRulesPublished {
		in := ok
		change(&in)
		return events.CutoverRulesPublished{Version: 1, Institutions: []events.InstitutionRules{in}}
	}
	for _, tc := range []struct {
		name  string
		rules events.CutoverRulesPublished
		want  string // substring of the error; "" for valid
	}{
		{"valid", with(func(*events.InstitutionRules) {}), ""},
		{"valid everything", with(func(in *events.InstitutionRules) {
			in.Allow, in.Deny, in.Stock = []string{key}, nil, []string{no}
			in.NewUsers, in.StockUsers, in.RolloutPercent = events.PathNetsUnion, events.PathDirect, percent(100)
			in.LegacyRefund = events.LegacyRefundPrefund
		}), ""},
		{"version 0", events.CutoverRulesPublished{Version: 0}, "version 0: must be 1 or more"},
		{"bad channel", with(func(in *events.InstitutionRules) { in.ChannelID = "ali pay" }), `channel_id "ali pay" is not a channel ID`},
		{"duplicate channel", events.CutoverRulesPublished{Version: 1, Institutions: []events.InstitutionRules{ok, ok}}, "institutions[1] (alipay): channel_id listed twice"},
		{"unknown default path", with(func(in *events.InstitutionRules) { in.DefaultPath = "nets" }), `default_path "nets": want netsunion or direct`},
		{"missing default path", with(func(in *events.InstitutionRules) { in.DefaultPath = "" }), `default_path "": want netsunion or direct`},
		{"unknown cohort path", with(func(in *events.InstitutionRules) { in.NewUsers = "both" }), `new_users "both"`},
		{"unknown stock path", with(func(in *events.InstitutionRules) { in.StockUsers = "old" }), `stock_users "old"`},
		{"percent above 100", with(func(in *events.InstitutionRules) { in.RolloutPercent = percent(101) }), "rollout_percent 101 outside 0..100"},
		{"percent below 0", with(func(in *events.InstitutionRules) { in.RolloutPercent = percent(-1) }), "rollout_percent -1 outside 0..100"},
		{"unknown refund method", with(func(in *events.InstitutionRules) { in.LegacyRefund = "wire" }), `legacy_refund "wire"`},
		{"bad list entry", with(func(in *events.InstitutionRules) { in.Allow = []string{"6222020200001234"} }), `allow entry "6222020200001234" is neither a payer key nor an agreement number`},
		{"duplicate list entry", with(func(in *events.InstitutionRules) { in.Stock = []string{key, key} }), "listed twice"},
		{"allow and deny", with(func(in *events.InstitutionRules) { in.Allow, in.Deny = []string{key}, []string{key} }), "is on both allow and deny"},
		{"list too long", with(func(in *events.InstitutionRules) { in.Deny = make([]string, events.MaxRuleListLen+1) }), "deny has 10001 entries, at most 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.rules)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid rules refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	_, err := New(events.CutoverRulesPublished{Version: 2, Institutions: []events.InstitutionRules{
		{ChannelID: "a", DefaultPath: "x"},
		{ChannelID: "b", DefaultPath: events.PathDirect, RolloutPercent: percent(200)},
	}})
	if err == nil {
		t.Fatal("invalid rules accepted")
	}
	for _, want := range []string{"institutions[0] (a): default_path", "institutions[1] (b): rollout_percent 200"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestParseFileRefusesUnknownMembers(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"top-level", `{"version":1,"institutions":[],"rollout":5}`, "rollout"},
		{"institution", `{"version":1,"institutions":[{"channel_id":"a","default_path":"direct","percent":5}]}`, `unknown field "percent"`},
		{"missing institutions", `{"version":1}`, "institutions"},
		{"float percent", `{"version":1,"institutions":[{"channel_id":"a","default_path":"direct","rollout_percent":5.5}]}`, "rollout_percent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
	r, err := ParseFile([]byte(`{"version":3,"note":"trial","institutions":[{"channel_id":"a","default_path":"direct","rollout_percent":25,"legacy_refund":"prefund"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() != 3 || r.LegacyRefundMethod("a") != events.LegacyRefundPrefund {
		t.Fatalf("parsed %+v", r.Published())
	}
}

func TestBookVersionsStrictlyIncrease(t *testing.T) {
	v := func(n int) events.CutoverRulesPublished {
		return events.CutoverRulesPublished{Version: n, Institutions: []events.InstitutionRules{}}
	}
	var b Book
	if b.Latest() != nil || b.Latest().Version() != 0 {
		t.Fatal("empty book has rules")
	}
	for _, n := range []int{1, 2, 5} {
		if err := b.Add(v(n)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{5, 3, 0} {
		err := b.Add(v(n))
		if n == 0 {
			if err == nil {
				t.Fatal("version 0 accepted")
			}
			continue
		}
		if !errors.Is(err, ErrVersionNotIncreasing) {
			t.Fatalf("version %d after 5: %v, want ErrVersionNotIncreasing", n, err)
		}
	}
	if b.Latest().Version() != 5 || len(b.Versions()) != 3 {
		t.Fatalf("latest %d, %d versions", b.Latest().Version(), len(b.Versions()))
	}
	if r, ok := b.Version(2); !ok || r.Version() != 2 {
		t.Fatal("version 2 not found")
	}
	if _, ok := b.Version(3); ok {
		t.Fatal("refused version 3 is in the book")
	}
}
