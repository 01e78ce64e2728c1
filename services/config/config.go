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

	"github.com/paycore/paycore/services/topology"
)

// Environment variables (documented in services/README.md).
const (
	EnvBrokers        = "PAYCORE_KAFKA_BROKERS"
	EnvTopicPrefix    = "PAYCORE_TOPIC_PREFIX"
	EnvPartitions     = "PAYCORE_PARTITIONS"
	EnvPayerKeySecret = "PAYCORE_PAYER_KEY_SECRET"
	EnvSMSSecret      = "PAYCORE_SMS_SECRET"
)

// Kafka holds where the broker is and how topics are laid out.
type Kafka struct {
	Brokers  []string
	Topology topology.Topology
	// AdminTimeout bounds start-up checks, so a wrong address fails fast.
	AdminTimeout time.Duration
}

// KafkaFromEnv reads PAYCORE_KAFKA_BROKERS, PAYCORE_TOPIC_PREFIX and
// PAYCORE_PARTITIONS (defaults: 127.0.0.1:19092, "paycore.", 12).
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
	return Kafka{Brokers: brokers, Topology: top, AdminTimeout: 10 * time.Second}, nil
}

// Secrets are the deployment's keys. The development defaults are public
// and only good for the local stack; Production() reports them.
type Secrets struct {
	PayerKey string
	SMS      string
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
