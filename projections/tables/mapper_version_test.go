package tables

import (
	"reflect"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

// TestAccountOpenedV1MapsLikeV2: a payer.account_opened v1 record, decoded
// by the projector's registry, gives the row its v2 form gives.
func TestAccountOpenedV1MapsLikeV2(t *testing.T) {
	reg := events.Catalog()
	at := time.Date(2026, 3, 1, 8, 30, 5, 0, time.UTC)
	v2, err := reg.New(payerKey, 1, events.AccountOpened{
		PayerKey: payerKey, Account: "6222020200112230001",
		Holder:         events.AccountHolder{Name: "张三", IDType: events.IDTypeResidentID, IDNumber: "110101199003071234", Phone: "13800138000"},
		OpeningBalance: events.CNY("10000"),
	}, events.Meta{ID: events.DeriveID("open"), CorrelationID: "c", CausationID: "c", OccurredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	v1 := v2
	v1.Version = 1
	v1.Payload = []byte(`{"payer_key":"` + payerKey + `","account":"6222020200112230001","holder_name":"张三","id_number":"110101199003071234","phone":"13800138000","opening_balance":{"amount":"10000.00","currency":"CNY"}}`)
	var rows [2][]any
	for i, env := range []events.Envelope{v1, v2} {
		p, err := reg.DecodeOwn(env)
		if err != nil {
			t.Fatalf("v%d: %v", env.Version, err)
		}
		got, err := Mapper{}.Map(env, p, source)
		if err != nil || len(got) != 1 || got[0].Table != CustomerAccounts {
			t.Fatalf("v%d mapped to %v, %v", env.Version, got, err)
		}
		rows[i] = got[0].Values
	}
	if !reflect.DeepEqual(rows[0], rows[1]) {
		t.Fatalf("v1 row %v, v2 row %v", rows[0], rows[1])
	}
}
