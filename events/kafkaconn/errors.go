package kafkaconn

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// AuthError is a SASL authentication that did not succeed: the broker
// refused the credentials or the mechanism, or (SCRAM) could not prove it
// knows them. It names the mechanism and the user, never the password.
type AuthError struct {
	Broker    string
	Mechanism Mechanism
	Username  string
	Err       error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("kafka: broker %s: SASL %s authentication as user %q failed (check the user, its password, and that the listener enables %s): %v",
		e.Broker, e.Mechanism, e.Username, e.Mechanism, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// TLSError is a TLS handshake that did not succeed: most often the
// broker's certificate is not signed by the configured CA or does not name
// the host, or the port does not speak TLS.
type TLSError struct {
	Broker string
	// CA is the CA file the certificate was checked against, or "system
	// roots".
	CA  string
	Err error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("kafka: broker %s: TLS handshake failed (certificate checked against %s; is this a TLS listener, and does its certificate name this host?): %v",
		e.Broker, e.CA, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }

// Explain returns err as an *AuthError or *TLSError when it is one of c's
// authentication or TLS failures at broker, so that an operator reads which
// mechanism, user or CA to check; any other error (and nil) is returned as
// it is. Transports from c and its DialContext and DialLeader already do
// this; code that dials with Dialer() may call it on its errors.
func (c *Connector) Explain(broker string, err error) error {
	if err == nil || c == nil {
		return err
	}
	var authErr *AuthError
	var tlsErr *TLSError
	if errors.As(err, &authErr) || errors.As(err, &tlsErr) {
		return err
	}
	if c.mechanism != nil && isSASLFailure(err) {
		return &AuthError{Broker: broker, Mechanism: c.sec.Mechanism, Username: c.sec.Username, Err: err}
	}
	if c.tls != nil && isTLSFailure(err) {
		ca := c.sec.TLS.CAFile
		if ca == "" {
			ca = "system roots"
		}
		return &TLSError{Broker: broker, CA: ca, Err: err}
	}
	return err
}

func isSASLFailure(err error) bool {
	return errors.Is(err, kafka.SASLAuthenticationFailed) ||
		errors.Is(err, kafka.UnsupportedSASLMechanism) ||
		errors.Is(err, kafka.IllegalSASLState)
}

func isTLSFailure(err error) bool {
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	var alert tls.AlertError
	return errors.As(err, &verify) || errors.As(err, &header) || errors.As(err, &alert)
}
