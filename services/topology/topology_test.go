package topology

import (
	"errors"
	"strings"
	"testing"
)

func TestNewDeclaresCoPartitionedGroups(t *testing.T) {
	top, err := New(Config{Partitions: 6})
	if err != nil {
		t.Fatal(err)
	}
	groups := top.Groups()
	for _, g := range []string{"saga", "payer", "reserve"} {
		if len(groups[g]) != 3 {
			t.Fatalf("group %s has %d topics, want inbox+events+snapshots", g, len(groups[g]))
		}
		for _, tp := range groups[g] {
			if tp.Partitions != 6 {
				t.Errorf("%s: %d partitions, want 6", tp.Name, tp.Partitions)
			}
		}
	}
	if got := top.Name(SagaEvents); got != "paycore.saga.events" {
		t.Errorf("Name(SagaEvents) = %q", got)
	}
	events, _ := top.Topic("paycore.saga.events")
	if events.Retention != RetainForever {
		t.Errorf("event topic retention %s, want forever: events are the source of truth", events.Retention)
	}
	snaps, _ := top.Topic("paycore.saga.snapshots")
	if snaps.Retention != Compacted {
		t.Errorf("snapshot topic retention %s, want compacted", snaps.Retention)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Partitions: -1}, {Partitions: 2000}, {Prefix: "a b", Partitions: 1}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", c)
		}
	}
}

func TestNamePanicsOnUndeclaredTopic(t *testing.T) {
	top, _ := New(Config{})
	defer func() {
		if recover() == nil {
			t.Fatal("Name of an undeclared topic did not panic")
		}
	}()
	top.Name("no.such.topic")
}

func TestCheckPartitionsReportsWhatToFix(t *testing.T) {
	top, _ := New(Config{Partitions: 4})
	counts := map[string]int{}
	for _, tp := range top.Topics {
		counts[tp.Name] = tp.Partitions
	}
	if err := checkPartitions(top, counts); err != nil {
		t.Fatalf("matching broker rejected: %v", err)
	}
	counts["paycore.payer.events"] = 2
	err := checkPartitions(top, counts)
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
	for _, want := range []string{"paycore.payer.events has 2 partitions, declared 4", `group "payer" disagrees`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
