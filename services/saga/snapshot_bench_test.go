package saga

import (
	"strconv"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

// BenchmarkSnapshot measures encoding the state of a partition that has
// finished n payments (a paid payment keeps what refunds need): the pause
// a snapshot puts between two batches of the partition, since the state
// is encoded in the partition's goroutine.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n)+" payments", func(b *testing.B) {
			x := newHarnessWith(b, Config{Topics: testTopics})
			for i := range n {
				id := events.DeriveID("bench-snapshot", strconv.Itoa(i))
				start := events.StartPayment{TxnID: id, ChannelID: "chan-1", OrderID: "order-" + strconv.Itoa(i), IdempotencyKey: "idem-" + strconv.Itoa(i),
					BodyHash: "hash", AgreementNo: "agr-1", PayerKey: payerKey, ReserveAccount: "reserve-1", Amount: events.CNY("12.34")}
				x.handle(x.msg(start, at(time.Duration(i)*time.Millisecond)))
				x.handle(x.msg(events.PayerDebited{TxnID: id, AgreementNo: "agr-1", Amount: events.CNY("12.34"), BalanceAfter: events.CNY("87.66"), Day: "2026-03-02"}, at(time.Duration(i)*time.Millisecond)))
				x.handle(x.msg(events.ReserveCredited{TxnID: id, ReserveAccount: "reserve-1", ChannelID: "chan-1", Amount: events.CNY("12.34")}, at(time.Duration(i)*time.Millisecond)))
			}
			x.log = nil
			var size int
			for b.Loop() {
				state, err := x.h.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				size = len(state)
			}
			b.ReportMetric(float64(size)/float64(n), "bytes/payment")
		})
	}
}
