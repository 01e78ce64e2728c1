package payerbank

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
)

const (
	testLegacyReplies = "test.legacy.replies"
	// legacyAli is longer than any NetsUnion agreement number, as Alipay's
	// direct-connect numbers are.
	legacyAli = "20180521000000000000000000000000000000000001"
)

func withLegacyReplies(cfg *Config) { cfg.Topics.LegacyReplies = testLegacyReplies }

// importCmd imports a stock agreement of c on channel with the usual
// limits; the number derives from the legacy number as the importer's.
func importCmd(c customer, channel, legacyNo string) events.ImportAgreement {
	return events.ImportAgreement{
		ImportID: "import-1", LegacyNo: legacyNo,
		AgreementNo: payerkey.AgreementNo(c.key, events.DeriveID("legacy", channel, legacyNo)),
		ChannelID:   channel, PayerKey: c.key, PayerAccount: c.account,
		HolderName: c.holder, IDNumber: c.idNumber, Phone: c.phone,
		PerPaymentLimit: events.CNY("200.00"), DailyLimit: events.CNY("300.00"), SignedOn: "2016-05-04",
	}
}

func importedEvent(c events.ImportAgreement) events.AgreementImported {
	return events.AgreementImported{
		AgreementNo: c.AgreementNo, LegacyNo: c.LegacyNo, ImportID: c.ImportID, ChannelID: c.ChannelID,
		PayerKey: c.PayerKey, PerPaymentLimit: c.PerPaymentLimit, DailyLimit: c.DailyLimit, SignedOn: c.SignedOn,
	}
}

// importerReplies decodes the messages out sent to the importer.
func importerReplies(t *testing.T, out processor.Output) []reply {
	t.Helper()
	var rs []reply
	for _, m := range out.Messages {
		if m.Topic != testLegacyReplies {
			t.Fatalf("import answered on %s", m.Topic)
		}
		env, err := events.Unmarshal(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		p, err := reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		if m.Key != env.AggregateID {
			t.Fatalf("reply keyed %q, aggregate %q", m.Key, env.AggregateID)
		}
		rs = append(rs, reply{env: env, payload: p, raw: m.Value})
	}
	return rs
}

// The import transitions, one row per outcome in the documented order:
// given a world (alice and carol each hold a chanA agreement), when a
// command arrives, then exactly the answer and the state below.
func TestImportAgreement(t *testing.T) {
	tests := []struct {
		name   string
		given  func(w *world)
		when   func(w *world) events.ImportAgreement
		refuse string // "" when imported
	}{
		{
			name: "imported",
			when: func(*world) events.ImportAgreement { return importCmd(alice, chanB, legacyAli) },
		},
		{
			name:   "account_not_found: no account under the payer key",
			when:   func(*world) events.ImportAgreement { return importCmd(nobody, chanB, legacyAli) },
			refuse: events.ReasonAccountNotFound,
		},
		{
			name: "account_not_found: another account number",
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.PayerAccount = carol.account
				return c
			},
			refuse: events.ReasonAccountNotFound,
		},
		{
			name: "identity_mismatch",
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.Phone = "13899999999"
				return c
			},
			refuse: events.ReasonIdentityMismatch,
		},
		{
			name: "limits_invalid: per payment above daily",
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.PerPaymentLimit = events.CNY("300.01")
				return c
			},
			refuse: events.ReasonLimitsInvalid,
		},
		{
			name: "limits_invalid: zero",
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.PerPaymentLimit = events.CNY("0.00")
				return c
			},
			refuse: events.ReasonLimitsInvalid,
		},
		{
			name:   "agreement_exists: the channel holds an active agreement on the account",
			when:   func(*world) events.ImportAgreement { return importCmd(alice, chanA, legacyAli) },
			refuse: events.ReasonAgreementExists,
		},
		{
			name: "identity_mismatch before agreement_exists",
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanA, legacyAli)
				c.HolderName = "someone else"
				return c
			},
			refuse: events.ReasonIdentityMismatch,
		},
		{
			name: "imported: the channel's old agreement was terminated",
			given: func(w *world) {
				w.do("terminate R", terminateCmd(alice, w.agr, chanA, "R", "h"))
			},
			when: func(*world) events.ImportAgreement { return importCmd(alice, chanA, legacyAli) },
		},
		{
			name: "agreement_exists: a signed agreement holds the number",
			when: func(w *world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.AgreementNo = w.agr
				return c
			},
			refuse: events.ReasonAgreementExists,
		},
		{
			name: "duplicate_key_different_body: the number was imported with other limits",
			given: func(w *world) {
				w.do("import first", importCmd(alice, chanB, legacyAli))
			},
			when: func(*world) events.ImportAgreement {
				c := importCmd(alice, chanB, legacyAli)
				c.DailyLimit = events.CNY("999.00")
				return c
			},
			refuse: events.ReasonDuplicateKeyNewBody,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, withLegacyReplies)
			if tt.given != nil {
				tt.given(w)
			}
			c := tt.when(w)
			before, _ := w.h.Agreement(c.AgreementNo)
			out := w.do("import", c)
			rs := importerReplies(t, out)
			if len(rs) != 1 {
				t.Fatalf("%d answers, want 1", len(rs))
			}
			if rs[0].env.AggregateID != c.LegacyNo {
				t.Errorf("answer keyed %q, want the legacy number", rs[0].env.AggregateID)
			}
			if tt.refuse != "" {
				if len(out.Events) != 0 {
					t.Fatalf("a refusal recorded %d events; it changes nothing", len(out.Events))
				}
				samePayload(t, "answer", rs[0].payload, events.AgreementImportRefused{
					AgreementNo: c.AgreementNo, LegacyNo: c.LegacyNo, ImportID: c.ImportID, ReasonCode: tt.refuse,
				})
				if after, _ := w.h.Agreement(c.AgreementNo); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a refusal changed the agreement: %v -> %v", before, after)
				}
				return
			}
			ev := recorded(t, out, importedEvent(c))
			want := ev
			want.ID = events.DeriveID(ev.ID, "reply")
			want.AggregateID = c.LegacyNo
			if wb, _ := events.Marshal(want); string(rs[0].raw) != string(wb) {
				t.Errorf("answer is not the copy of the event:\n got %s\nwant %s", rs[0].raw, wb)
			}
			v, ok := w.h.Agreement(c.AgreementNo)
			if !ok || v.Status != AgreementActive || v.ChannelID != c.ChannelID || v.LegacyNo != c.LegacyNo ||
				v.SigningID != "" || !v.DailyLimit.Equal(c.DailyLimit) || !v.PerPaymentLimit.Equal(c.PerPaymentLimit) {
				t.Errorf("agreement after import: %+v", v)
			}
		})
	}
}

// A stock user pays with the new number: the imported agreement debits,
// enforces its limits and can be terminated like a signed one.
func TestImportedAgreementPays(t *testing.T) {
	w := newWorld(t, withLegacyReplies)
	c := importCmd(alice, chanB, legacyAli)
	w.do("import", c)

	answered(t, w.do("debit T1", debitCmd(alice, c.AgreementNo, chanB, "T1", "150.00")), "T1",
		events.PayerDebited{TxnID: "T1", AgreementNo: c.AgreementNo, Amount: events.CNY("150.00"), BalanceAfter: events.CNY("850.00"), Day: "2024-03-01"})
	answered(t, w.do("debit T2", debitCmd(alice, c.AgreementNo, chanB, "T2", "200.01")), "T2",
		events.PayerDebitRefused{TxnID: "T2", ReasonCode: events.ReasonOverPerPaymentLimit})
	answered(t, w.do("debit T3", debitCmd(alice, c.AgreementNo, chanB, "T3", "150.01")), "T3",
		events.PayerDebitRefused{TxnID: "T3", ReasonCode: events.ReasonOverDailyLimit})
	w.do("terminate R", terminateCmd(alice, c.AgreementNo, chanB, "R", "h"))
	answered(t, w.do("debit T4", debitCmd(alice, c.AgreementNo, chanB, "T4", "1.00")), "T4",
		events.PayerDebitRefused{TxnID: "T4", ReasonCode: events.ReasonAgreementTerminated})
}

// Importing again, by redelivery or a second run over the same file, gets
// the original answer byte for byte and records nothing; a row that comes
// again in another import (another import ID) too.
func TestImportAgreementAnswersAgain(t *testing.T) {
	w := newWorld(t, withLegacyReplies)
	c := importCmd(alice, chanB, legacyAli)
	first := w.do("import", c)
	if len(first.Events) != 1 {
		t.Fatalf("first import recorded %d events", len(first.Events))
	}
	w.at(t0.Add(time.Hour))
	for name, again := range map[string]events.ImportAgreement{
		"import":       c, // the same envelope, redelivered
		"import again": c,
		"other import": func() events.ImportAgreement { o := c; o.ImportID = "import-2"; return o }(),
	} {
		out := w.do(name, again)
		if len(out.Events) != 0 {
			t.Fatalf("%s recorded %d events", name, len(out.Events))
		}
		if len(out.Messages) != 1 || string(out.Messages[0].Value) != string(first.Messages[0].Value) {
			t.Errorf("%s was not answered with the original answer", name)
		}
	}
}

// A refusal is not recorded, so once its cause is gone the same command
// imports: the operator opens the missing account and runs the import
// again.
func TestImportAgreementAfterRefusalCauseGone(t *testing.T) {
	w := newWorld(t, withLegacyReplies)
	c := importCmd(nobody, chanA, legacyAli)
	out := w.do("import", c)
	if r := importerReplies(t, out); len(r) != 1 || r[0].payload.(events.AgreementImportRefused).ReasonCode != events.ReasonAccountNotFound {
		t.Fatalf("import onto a missing account answered %+v", r)
	}
	w.open(nobody, "10.00")
	recorded(t, w.do("import", c), importedEvent(c))
}

// Commands that cannot be handled at all are poison, with a reason.
func TestImportAgreementPoison(t *testing.T) {
	tests := []struct {
		name string
		mods []func(*Config)
		cmd  func() events.ImportAgreement
		want string
	}{
		{"no reply topic", nil, func() events.ImportAgreement { return importCmd(alice, chanB, legacyAli) }, "LegacyReplies"},
		{"number embeds another payer key", []func(*Config){withLegacyReplies}, func() events.ImportAgreement {
			c := importCmd(alice, chanB, legacyAli)
			c.AgreementNo = payerkey.AgreementNo(carol.key, "x")
			return c
		}, "does not embed"},
		{"legacy number too long", []func(*Config){withLegacyReplies}, func() events.ImportAgreement {
			return importCmd(alice, chanB, strings.Repeat("9", events.LegacyNoMaxLen+1))
		}, "legacy number"},
		{"signing date malformed", []func(*Config){withLegacyReplies}, func() events.ImportAgreement {
			c := importCmd(alice, chanB, legacyAli)
			c.SignedOn = "2016-13-01"
			return c
		}, "signing date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBank(t, tt.mods...)
			b.open(alice, "10.00")
			_, err := b.h.Handle(b.msg("import", tt.cmd()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Handle = %v, want an error about %q", err, tt.want)
			}
			if _, ok := b.h.Agreement(tt.cmd().AgreementNo); ok {
				t.Error("a poison command created an agreement")
			}
		})
	}
}
