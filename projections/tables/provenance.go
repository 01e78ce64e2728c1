package tables

import "github.com/paycore/paycore/projections/projector"

var _ projector.ProvenanceMapper = Mapper{}

// Provenance names the provenance columns every table ends with, so that
// projector.Verify can ignore what a replay legitimately changes and find
// rows attributed to the verified range that the log does not produce.
func (Mapper) Provenance() projector.Provenance {
	return projector.Provenance{Topic: "source_topic", Partition: "source_partition", Offset: "source_offset", ProjectedAt: "projected_at"}
}
