package kafkaconn

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
)

// scram is the client side of SASL SCRAM-SHA-256/512 (RFC 5802, RFC 7677)
// as Kafka speaks it: no channel binding, and the user name and password
// taken as UTF-8 bytes without SASLprep, which is what the broker's
// ScramSaslServer and kafka-storage --add-scram do.
//
// It is written here, on the standard library, rather than taken from
// kafka-go's sasl/scram because that package pulls in github.com/xdg-go/scram
// and two more modules that paycore's go.mod does not carry. The exchange is
// small and pinned by the RFC 7677 test vector (scram_test.go) and by a real
// broker (broker_test.go).
type scram struct {
	name  Mechanism
	hash  func() hash.Hash
	user  string
	pass  Secret
	nonce func() string // client nonce; random, fixed only by tests
}

// Iteration counts a broker may ask for. Kafka refuses to store fewer than
// 4096 and more than 16384; the upper bound here only keeps a hostile
// server from making the client spin.
const (
	scramMinIterations = 4096
	scramMaxIterations = 1 << 20
)

func newScram(m Mechanism, user string, pass Secret) *scram {
	h := sha256.New
	if m == ScramSHA512 {
		h = sha512.New
	}
	return &scram{name: m, hash: h, user: user, pass: pass, nonce: randomNonce}
}

func randomNonce() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawStdEncoding.EncodeToString(b)
}

func (m *scram) Name() string { return string(m.name) }

func (m *scram) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "SASL %s user %q", m.name, m.user)
}

// Start sends client-first: no channel binding ("n,,"), the user, a nonce.
func (m *scram) Start(context.Context) (sasl.StateMachine, []byte, error) {
	x := &scramExchange{m: m, clientNonce: m.nonce()}
	x.clientFirstBare = "n=" + scramEscape(m.user) + ",r=" + x.clientNonce
	return x, []byte("n,," + x.clientFirstBare), nil
}

// scramEscape encodes the two characters that would break the attribute
// list of a SCRAM message.
func scramEscape(user string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(user)
}

// scramExchange is one authentication: server-first, then server-final.
type scramExchange struct {
	m               *scram
	clientNonce     string
	clientFirstBare string
	serverSignature []byte // set after server-first
}

func (x *scramExchange) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if x.serverSignature == nil {
		final, err := x.clientFinal(string(challenge))
		return false, final, err
	}
	return true, nil, x.verifyServerFinal(string(challenge))
}

// clientFinal answers server-first ("r=<nonce>,s=<salt>,i=<iterations>")
// with the proof that the client knows the password, and remembers the
// signature the server must send back to prove it knows it too.
func (x *scramExchange) clientFinal(serverFirst string) ([]byte, error) {
	attrs, err := scramAttributes(serverFirst)
	if err != nil {
		return nil, err
	}
	if _, ok := attrs['m']; ok {
		return nil, x.fail("server-first carries a mandatory extension this client does not know")
	}
	nonce := attrs['r']
	if !strings.HasPrefix(nonce, x.clientNonce) || len(nonce) == len(x.clientNonce) {
		return nil, x.fail("server nonce does not extend the client nonce")
	}
	salt, err := base64.StdEncoding.DecodeString(attrs['s'])
	if err != nil || len(salt) == 0 {
		return nil, x.fail("server-first has no valid salt")
	}
	iterations, err := strconv.Atoi(attrs['i'])
	if err != nil || iterations < scramMinIterations || iterations > scramMaxIterations {
		return nil, x.fail(fmt.Sprintf("iteration count %q outside %d..%d", attrs['i'], scramMinIterations, scramMaxIterations))
	}

	h := x.m.hash
	salted, err := pbkdf2.Key(h, string(x.m.pass), salt, iterations, h().Size())
	if err != nil {
		return nil, x.fail("deriving the salted password: " + err.Error())
	}
	clientKey := scramHMAC(h, salted, "Client Key")
	storedKey := h()
	storedKey.Write(clientKey)
	withoutProof := "c=biws,r=" + nonce // biws = base64("n,,")
	authMessage := x.clientFirstBare + "," + serverFirst + "," + withoutProof
	proof := scramHMAC(h, storedKey.Sum(nil), authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	x.serverSignature = scramHMAC(h, scramHMAC(h, salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// verifyServerFinal checks "v=<server signature>": a broker that does not
// know the password (an impostor) cannot compute it.
func (x *scramExchange) verifyServerFinal(serverFinal string) error {
	attrs, err := scramAttributes(serverFinal)
	if err != nil {
		return err
	}
	if e, ok := attrs['e']; ok {
		return x.fail("the broker refused: " + e)
	}
	got, err := base64.StdEncoding.DecodeString(attrs['v'])
	if err != nil || !hmac.Equal(got, x.serverSignature) {
		return x.fail("the broker's signature does not match: it does not know this user's credentials")
	}
	return nil
}

func (x *scramExchange) fail(why string) error {
	return fmt.Errorf("kafka: SASL %s as user %q: %s", x.m.name, x.m.user, why)
}

func scramHMAC(h func() hash.Hash, key []byte, msg string) []byte {
	mac := hmac.New(h, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

// scramAttributes splits "a=1,b=2" into its one-letter attributes.
func scramAttributes(msg string) (map[byte]string, error) {
	attrs := map[byte]string{}
	for _, kv := range strings.Split(msg, ",") {
		if len(kv) < 2 || kv[1] != '=' {
			return nil, errors.New("kafka: malformed SCRAM message from the broker")
		}
		attrs[kv[0]] = kv[2:]
	}
	return attrs, nil
}
