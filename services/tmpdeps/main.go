package main

import (
	_ "github.com/ClickHouse/clickhouse-go/v2"
	_ "github.com/ThreeDotsLabs/watermill"
	_ "github.com/ThreeDotsLabs/watermill/pubsub/tests"
	_ "github.com/invopop/jsonschema"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/segmentio/kafka-go"
	_ "github.com/shopspring/decimal"
	_ "github.com/spf13/cobra"
)

func main() {}
