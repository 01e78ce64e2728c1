package legacy

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// Mapping is one legacy.agreement_mapped of the mapping log.
type Mapping struct {
	LegacyNo, AgreementNo, ChannelID, PayerKey string
	ImportID, Reason                           string
	// At is when it was mapped (the event's occurred_at); a row imported
	// again sends its command with this time, so the envelope is the one
	// first sent.
	At      time.Time
	EventID string
}

// Mappings is the mapping log folded into both directions. The first
// mapping of a legacy number in the log is the mapping: the topic is
// keyed by legacy number, so all mappings of one number are in one
// partition, in order. The zero value is not usable; use NewMappings.
type Mappings struct {
	byLegacy    map[string]Mapping
	byAgreement map[string]string // agreement no → legacy no
	// Ignored counts later events that contradict the first mapping of
	// their legacy number or agreement number (only concurrent imports
	// could write them).
	Ignored int
}

// NewMappings returns an empty mapping log.
func NewMappings() *Mappings {
	return &Mappings{byLegacy: map[string]Mapping{}, byAgreement: map[string]string{}}
}

// Add folds one mapping event. A repeat of a mapping already held is
// ignored silently; a contradicting one is counted in Ignored.
func (m *Mappings) Add(env events.Envelope, e events.AgreementMapped) {
	if prev, ok := m.byLegacy[e.LegacyNo]; ok {
		if prev.AgreementNo != e.AgreementNo || prev.ChannelID != e.ChannelID || prev.PayerKey != e.PayerKey {
			m.Ignored++
		}
		return
	}
	if _, taken := m.byAgreement[e.AgreementNo]; taken {
		m.Ignored++
		return
	}
	m.byLegacy[e.LegacyNo] = Mapping{
		LegacyNo: e.LegacyNo, AgreementNo: e.AgreementNo, ChannelID: e.ChannelID, PayerKey: e.PayerKey,
		ImportID: e.ImportID, Reason: e.Reason, At: env.OccurredAt, EventID: env.ID,
	}
	m.byAgreement[e.AgreementNo] = e.LegacyNo
}

// ByLegacy returns the mapping of a legacy agreement number.
func (m *Mappings) ByLegacy(legacyNo string) (Mapping, bool) {
	mp, ok := m.byLegacy[legacyNo]
	return mp, ok
}

// ByAgreement returns the mapping that issued a paycore agreement number.
func (m *Mappings) ByAgreement(agreementNo string) (Mapping, bool) {
	legacyNo, ok := m.byAgreement[agreementNo]
	if !ok {
		return Mapping{}, false
	}
	return m.byLegacy[legacyNo], true
}

// Len returns the number of legacy numbers mapped.
func (m *Mappings) Len() int { return len(m.byLegacy) }

// LoadMappings reads the whole mapping log as it is now, retrying what
// Kafka calls temporary (a topic just created). An event that
// does not decode fails the load: the log is paycore's own, and mapping
// on top of a log one cannot read could map a number twice.
func LoadMappings(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry) (*Mappings, error) {
	var m *Mappings
	err := retryTemporary(ctx, func() error {
		m = NewMappings() // a retry starts the scan over
		return logscan.Scan(ctx, brokers, c, topic, func(msg kafka.Message) error {
			env, err := events.Unmarshal(msg.Value)
			if err != nil {
				return fmt.Errorf("legacy: %s/%d@%d: %w", topic, msg.Partition, msg.Offset, err)
			}
			p, err := reg.Decode(env)
			if err != nil {
				return fmt.Errorf("legacy: %s/%d@%d: %w", topic, msg.Partition, msg.Offset, err)
			}
			e, ok := p.(events.AgreementMapped)
			if !ok {
				return fmt.Errorf("legacy: %s/%d@%d: %s is not a mapping", topic, msg.Partition, msg.Offset, env.Type)
			}
			m.Add(env, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
