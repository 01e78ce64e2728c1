package kafkaconn

import (
	"fmt"
	"io"
	"log/slog"
)

// Secret is a string that never prints: every fmt verb, JSON, text
// marshalling and slog show "[redacted]". Only an explicit string(s)
// conversion reads it, which makes every place that does easy to find.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// Format writes "[redacted]" whatever the verb (%s, %v, %+v, %q, %x...).
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalText returns "[redacted]"; encoding/json uses it too.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue returns "[redacted]" for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
