// Package clearing closes NetsUnion clearing batches (批次 / 场次): it cuts
// finished payments into Beijing-time windows (Schedule), records each
// closed batch and its settlement instructions on the clearing.events topic,
// and writes the switch's reconciliation files for the banks.
//
// Kafka is the truth about which batches are closed: Close reads
// clearing.events before deciding, and a batch with a BatchClosed there is
// never closed again. What a batch holds comes from ClickHouse (the
// projected saga log), so Close first checks that the projector has caught
// up with saga.events and refuses otherwise.
//
// clearing.events has one partition and one writer at a time (paycore
// clearing and paycore reconcile, run by an operator or a scheduler, never
// concurrently): each batch is a stream keyed by its ID whose sequence the
// writer continues from what it read (see Log and Draft). Every envelope
// has a deterministic ID, so a repeated write is recognised downstream.
package clearing
