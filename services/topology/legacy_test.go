package topology

import "testing"

// The mapping log of migrated agreements is a source of truth (a legacy
// number is looked up years later): it never expires. The bank's answers
// to an import are read once, by the importer.
func TestLegacyTopics(t *testing.T) {
	top, err := New(Config{Partitions: 6})
	if err != nil {
		t.Fatal(err)
	}
	maps, ok := top.Topic(top.Name(LegacyMaps))
	if !ok || maps.Retention != RetainForever || maps.Partitions != 6 || maps.Group != "" {
		t.Errorf("legacy.mappings declared as %+v", maps)
	}
	replies, ok := top.Topic(top.Name(LegacyReplies))
	if !ok || replies.Retention != RetainWeek || replies.Partitions != 1 {
		t.Errorf("legacy.replies declared as %+v", replies)
	}
}
