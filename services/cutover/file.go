package cutover

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// ParseFile decodes a rules file: the JSON of events.CutoverRulesPublished
// (version, note, institutions), decoded strictly (unknown, duplicate or
// null members are refused, each error naming the member), then
// validated.
func ParseFile(data []byte) (*Rules, error) {
	var p events.CutoverRulesPublished
	if err := events.DecodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("cutover rules file: %w", err)
	}
	return New(p)
}
