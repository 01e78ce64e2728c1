package grouplag

import (
	"maps"
	"testing"
)

func TestPartitionLag(t *testing.T) {
	first := map[int]int64{0: 0, 1: 100, 2: 0, 3: 0}
	end := map[int]int64{0: 50, 1: 300, 2: 10, 3: 5}
	committed := map[int]int64{
		0: 20,  // 30 behind
		1: 40,  // behind the log start: retention deleted 60 unread; 200 remain
		2: -1,  // never committed (Kafka says -1): everything
		3: 7,   // committed past the end read a moment earlier: no lag
		9: 100, // a partition the end offsets do not list: ignored
	}
	want := map[int]int64{0: 30, 1: 200, 2: 10, 3: 0}
	if got := PartitionLag(first, end, committed); !maps.Equal(got, want) {
		t.Errorf("PartitionLag = %v, want %v", got, want)
	}
	// A group that never committed anything lags by the whole log.
	if got := PartitionLag(first, end, nil); !maps.Equal(got, map[int]int64{0: 50, 1: 200, 2: 10, 3: 5}) {
		t.Errorf("PartitionLag without commits = %v", got)
	}
}

func TestLagTotals(t *testing.T) {
	l := Lag{"saga": {900, 800}, "payer": {1}}
	if l.Total() != 1701 || l.Of("saga") != 1700 || l.Of("reserve") != 0 {
		t.Fatalf("Total %d, Of(saga) %d, Of(reserve) %d", l.Total(), l.Of("saga"), l.Of("reserve"))
	}
}
