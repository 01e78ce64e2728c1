// Package scenarios runs paycore's "Double-11" load scenarios through the
// real broker with every processor in-process (services/app.Run, one or
// several instances sharing the consumer groups) and measures what an
// operator needs on the day: saga throughput next to the raw kafka-go
// baseline, p50/p99/p999 latency from publish to final outcome, consumer
// lag per inbox partition over time, errors, and the audit of the log.
//
// One job per file:
//   - schedule.go: open-loop arrival schedules (base rate, spikes), seeded
//   - mix.go: the request stream (signings, payments, refunds) over
//     institutions with one dominant reserve account, card-issuing banks
//     and customers, a few of them hot
//   - pacer.go: the open loop itself: arrivals handed over at their planned
//     times, sent by workers, never waiting for answers
//   - latency.go: the latency recorder and nearest-rank percentiles
//   - lag.go: consumer lag from the broker's admin API (ListOffsets,
//     OffsetFetch) and its sampler
//   - plot.go: self-contained SVG charts in an HTML page (no script)
//   - setup.go: accounts, signings, reserve funding before a run
//   - fleet.go: the processor instances of a run and their rebuild reports
//   - runner.go: one run, from a fresh topology to the audit
//   - presets.go: the named scenarios (steady, spike, hot-reserve,
//     refund-burst, replay)
//   - report.go: a run's figures as text and charts
//   - cluster.go: a private multi-broker KRaft cluster on loopback
//
// The command is loadtest/cmd/paycore-load (scenario, scaleout); figures
// and the commands that produce them are in loadtest/RESULTS.md.
package scenarios
