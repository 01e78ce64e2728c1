package cutover

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/events"
)

// ErrVersionNotIncreasing: a rules version not above the latest one.
var ErrVersionNotIncreasing = errors.New("cutover: rules version does not increase")

// Book is the history of the rules versions read from cutover.rules, in
// log order. It is not safe for concurrent use; the Follower publishes
// each latest Rules through an atomic pointer instead.
type Book struct {
	versions []*Rules
}

// Add validates p and appends it. It fails with ErrVersionNotIncreasing
// for a version at or below the latest, and with the validation errors of
// New for invalid rules; the book is unchanged then.
func (b *Book) Add(p events.CutoverRulesPublished) error {
	if latest := b.Latest(); latest != nil && p.Version <= latest.Version() {
		return fmt.Errorf("%w: version %d after version %d", ErrVersionNotIncreasing, p.Version, latest.Version())
	}
	r, err := New(p)
	if err != nil {
		return err
	}
	b.versions = append(b.versions, r)
	return nil
}

// Latest returns the rules in force, nil before the first version.
func (b *Book) Latest() *Rules {
	if len(b.versions) == 0 {
		return nil
	}
	return b.versions[len(b.versions)-1]
}

// Version returns rules version n, if it was published.
func (b *Book) Version(n int) (*Rules, bool) {
	for _, r := range b.versions {
		if r.Version() == n {
			return r, true
		}
	}
	return nil, false
}

// Versions returns every version in log order.
func (b *Book) Versions() []*Rules { return append([]*Rules(nil), b.versions...) }
