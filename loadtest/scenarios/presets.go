package scenarios

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/banklink"
)

// Names of the scenarios of the "Double-11" load test.
const (
	NameSteady      = "steady"
	NameSpike       = "spike"
	NameHotReserve  = "hot-reserve"
	NameRefundBurst = "refund-burst"
	NameReplay      = "replay"
)

// Names lists every scenario.
var Names = []string{NameSteady, NameSpike, NameHotReserve, NameRefundBurst, NameReplay}

// Params are the knobs of a scenario, as the command line sets them.
type Params struct {
	// Rate is the base arrival rate (requests/s); Duration the length of
	// the arrivals. For spike, Duration 0 means SpikeAt + SpikeLength +
	// Observe.
	Rate     float64
	Duration time.Duration
	// Spike: Factor × Rate from SpikeAt for SpikeLength, then Observe at
	// the base rate for the lag to drain.
	SpikeFactor          float64
	SpikeAt, SpikeLength time.Duration
	Observe              time.Duration
	// BurstRefunds is the refund burst's size (refund-burst).
	BurstRefunds int
	Partitions   int
	Instances    int
	Replication  int
	Population   Population
	Mix          Mix
	Faults       banklink.Config
	// Admission tunes the intake's admission gate (Off: none).
	Admission admission.Config
	// SnapshotEvery overrides the events between snapshots (0: default).
	SnapshotEvery int
	Seed          uint64
}

// DefaultPopulation: eight institutions, one of them taking half the
// traffic; 1 % of the customers make 20 % of the payments.
func DefaultPopulation() Population {
	return Population{Institutions: 8, Dominant: 0.5, Customers: 400, HotFraction: 0.01, HotShare: 0.2, Banks: DefaultBanks}
}

// DefaultFaults are bank-link faults rare enough that the p99 of a
// healthy run is not a timeout (a lost reply costs a leg timeout and a
// status query: seconds), common enough that the p999 and the audit see
// them: 0.2 % lost replies, 30 % of status queries answered unknown,
// 0–5 ms reply latency.
func DefaultFaults(seed uint64) banklink.Config {
	return banklink.Config{Seed: seed, LostReplyRate: 0.002, QueryUnknownRate: 0.3, LatencyMax: 5 * time.Millisecond}
}

// Configs returns the run configurations of scenario name: one, or for
// hot-reserve two (uniform spread, then 100 % into one reserve account),
// to be compared with each other. prefix makes the topic prefixes.
func Configs(name string, p Params, prefix string) ([]Config, error) {
	if p.Rate <= 0 {
		return nil, fmt.Errorf("scenarios: rate %v", p.Rate)
	}
	base := Config{
		Partitions: p.Partitions, Instances: p.Instances, Replication: p.Replication,
		Seed: p.Seed, Population: p.Population, Mix: p.Mix, Faults: p.Faults, Audit: true,
		Admission: p.Admission, SnapshotEvery: p.SnapshotEvery,
	}
	steady := Schedule{Duration: p.Duration, Rate: p.Rate, Poisson: true}
	one := func(c Config) []Config {
		c.Name, c.Prefix = name, prefix+name+"."
		return []Config{c}
	}
	switch name {
	case NameSteady:
		base.Schedule = steady
		return one(base), nil
	case NameSpike:
		d := p.Duration
		if d == 0 {
			d = p.SpikeAt + p.SpikeLength + p.Observe
		}
		base.Schedule = Schedule{Duration: d, Rate: p.Rate, Poisson: true,
			Spikes: []Spike{{At: p.SpikeAt, Length: p.SpikeLength, Factor: p.SpikeFactor}}}
		// Sagas queued behind a spike wait out leg timeouts and status
		// queries; the drain must outlast the presumption deadlines.
		base.Drain = 2 * time.Minute
		return one(base), base.Schedule.Validate()
	case NameHotReserve:
		// Capacity, not behaviour at a rate: a closed loop of as many
		// requests as the base rate sends in Duration, once spread evenly
		// over the institutions and once all on institution 0.
		n := int(p.Rate * p.Duration.Seconds())
		uniform, hot := base, base
		uniform.Closed, hot.Closed = ClosedLoop{Requests: n}, ClosedLoop{Requests: n}
		uniform.Population.Dominant, hot.Population.Dominant = 0, 1
		uniform.Name, uniform.Prefix = name+"/uniform", prefix+name+".uniform."
		hot.Name, hot.Prefix = name+"/100%", prefix+name+".hot."
		return []Config{uniform, hot}, nil
	case NameRefundBurst:
		base.Schedule = steady
		base.Burst = &Burst{At: p.Duration / 3, Refunds: p.BurstRefunds, Payments: (p.BurstRefunds + 99) / 100}
		return one(base), nil
	case NameReplay:
		base.Schedule = steady
		base.RestartAt = p.Duration / 3
		return one(base), nil
	}
	return nil, fmt.Errorf("scenarios: unknown scenario %q (want one of %v)", name, Names)
}
