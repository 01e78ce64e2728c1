// Package config reads the settings every paycore command shares from the
// environment, with flags layered on top by the commands. Secrets are read
// here and never printed.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paycore/paycore/events/chain"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/topology"
)

// Environment variables (documented in services/README.md).
const (
	EnvBrokers        = "PAYCORE_KAFKA_BROKERS"
	EnvTopicPrefix    = "PAYCORE_TOPIC_PREFIX"
	EnvPartitions     = "PAYCORE_PARTITIONS"
	EnvPayerKeySecret = "PAYCORE_PAYER_KEY_SECRET"
	EnvSMSSecret      = "PAYCORE_SMS_SECRET"
	EnvChainKeyFile   = "PAYCORE_CHAIN_KEY_FILE"

	// Kafka security (see "Kafka security" in services/README.md).
	EnvKafkaSASLMechanism = "PAYCORE_KAFKA_SASL_MECHANISM"
	EnvKafkaUsername      = "PAYCORE_KAFKA_USERNAME"
	EnvKafkaPassword      = "PAYCORE_KAFKA_PASSWORD"
	EnvKafkaPasswordFile  = "PAYCORE_KAFKA_PASSWORD_FILE"
	EnvKafkaTLS           = "PAYCORE_KAFKA_TLS"
	EnvKafkaTLSCAFile     = "PAYCORE_KAFKA_TLS_CA_FILE"
	EnvKafkaTLSCertFile   = "PAYCORE_KAFKA_TLS_CERT_FILE"
	EnvKafkaTLSKeyFile    = "PAYCORE_KAFKA_TLS_KEY_FILE"
	EnvKafkaTLSServerName = "PAYCORE_KAFKA_TLS_SERVER_NAME"
)

// Kafka holds where the broker is and how topics are laid out.
type Kafka struct {
	Brokers  []string
	Topology topology.Topology
	// AdminTimeout bounds start-up checks, so a wrong address fails fast.
	AdminTimeout time.Duration
	// Connector authenticates and encrypts every connection to the
	// brokers; nil is plaintext without authentication.
	Connector *kafkaconn.Connector
}

// KafkaFromEnv reads PAYCORE_KAFKA_BROKERS, PAYCORE_TOPIC_PREFIX and
// PAYCORE_PARTITIONS (defaults: 127.0.0.1:19092, "paycore.", 12), and the
// Kafka security settings (KafkaSecurityFromEnv).
func KafkaFromEnv() (Kafka, error) {
	brokers := []string{"127.0.0.1:19092"}
	if v := os.Getenv(EnvBrokers); v != "" {
		brokers = strings.Split(v, ",")
	}
	partitions := 0
	if v := os.Getenv(EnvPartitions); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return Kafka{}, fmt.Errorf("%s=%q: not a number", EnvPartitions, v)
		}
		partitions = n
	}
	top, err := topology.New(topology.Config{Prefix: os.Getenv(EnvTopicPrefix), Partitions: partitions})
	if err != nil {
		return Kafka{}, err
	}
	sec, err := KafkaSecurityFromEnv()
	if err != nil {
		return Kafka{}, err
	}
	conn, err := kafkaconn.New(sec)
	if err != nil {
		return Kafka{}, fmt.Errorf("%w (settings: PAYCORE_KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD or _PASSWORD_FILE, _TLS, _TLS_*; see \"Kafka security\" in services/README.md)", err)
	}
	return Kafka{Brokers: brokers, Topology: top, AdminTimeout: 10 * time.Second, Connector: conn}, nil
}

// KafkaSecurityFromEnv reads the PAYCORE_KAFKA_SASL_*, _USERNAME,
// _PASSWORD(_FILE) and _TLS* variables; unset, they mean plaintext without
// authentication (the local stack). Errors name the variable at fault,
// never the password.
func KafkaSecurityFromEnv() (kafkaconn.Security, error) {
	mech, err := kafkaconn.ParseMechanism(os.Getenv(EnvKafkaSASLMechanism))
	if err != nil {
		return kafkaconn.Security{}, fmt.Errorf("%s: %w", EnvKafkaSASLMechanism, err)
	}
	tlsOn := false
	if v := os.Getenv(EnvKafkaTLS); v != "" {
		if tlsOn, err = strconv.ParseBool(v); err != nil {
			return kafkaconn.Security{}, fmt.Errorf("%s=%q: want true or false", EnvKafkaTLS, v)
		}
	}
	return kafkaconn.Security{
		Mechanism:    mech,
		Username:     os.Getenv(EnvKafkaUsername),
		Password:     kafkaconn.Secret(os.Getenv(EnvKafkaPassword)),
		PasswordFile: os.Getenv(EnvKafkaPasswordFile),
		TLS: kafkaconn.TLS{
			Enabled:    tlsOn,
			CAFile:     os.Getenv(EnvKafkaTLSCAFile),
			CertFile:   os.Getenv(EnvKafkaTLSCertFile),
			KeyFile:    os.Getenv(EnvKafkaTLSKeyFile),
			ServerName: os.Getenv(EnvKafkaTLSServerName),
		},
	}, nil
}

// Secrets are the deployment's keys. The development defaults are public
// and only good for the local stack; Production() reports them.
type Secrets struct {
	PayerKey string
	SMS      string
	// Chain keys the event logs' hash chains (ChainKeyFromEnv); nil means
	// the public chain.DevKey.
	Chain []byte
}

// ChainKeyFromEnv reads the event-chain key from the file
// PAYCORE_CHAIN_KEY_FILE names (see chain.LoadKey). It returns nil when the
// variable is unset: the processors then use the public development key.
func ChainKeyFromEnv() ([]byte, error) {
	path := os.Getenv(EnvChainKeyFile)
	if path == "" {
		return nil, nil
	}
	key, err := chain.LoadKey(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvChainKeyFile, err)
	}
	return key, nil
}

const devSecret = "paycore-development-only"

// SecretsFromEnv reads PAYCORE_PAYER_KEY_SECRET and PAYCORE_SMS_SECRET.
func SecretsFromEnv() Secrets {
	s := Secrets{PayerKey: os.Getenv(EnvPayerKeySecret), SMS: os.Getenv(EnvSMSSecret)}
	if s.PayerKey == "" {
		s.PayerKey = devSecret
	}
	if s.SMS == "" {
		s.SMS = devSecret
	}
	return s
}

// UsingDevelopmentDefaults reports whether a secret was left at its public
// development default.
func (s Secrets) UsingDevelopmentDefaults() bool {
	return s.PayerKey == devSecret || s.SMS == devSecret
}

// String never shows the secrets.
func (s Secrets) String() string { return "config.Secrets{redacted}" }
