package kafkaconn

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go/sasl"
)

// plain is SASL PLAIN (RFC 4616): the password travels as is, which is
// why it belongs over TLS. paycore has its own rather than kafka-go's
// sasl/plain so that the mechanism, reachable from every Dialer and
// Transport, redacts itself when printed.
type plain struct {
	user string
	pass Secret
}

func (*plain) Name() string { return string(Plain) }

// Start sends the whole exchange as the initial response: no authorization
// identity, the user, the password.
func (m *plain) Start(context.Context) (sasl.StateMachine, []byte, error) {
	return plainDone{}, []byte("\x00" + m.user + "\x00" + string(m.pass)), nil
}

func (m *plain) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "SASL %s user %q", Plain, m.user)
}

// plainDone ends the exchange once the broker accepted the initial
// response (a refusal arrives as an error before Next).
type plainDone struct{}

func (plainDone) Next(context.Context, []byte) (bool, []byte, error) { return true, nil, nil }
