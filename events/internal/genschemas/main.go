// Command genschemas writes the JSON Schemas for the event envelope and
// every type in events.Catalog. It is run by `go generate ./events/...`
// (see events/catalog.go); do not edit its output by hand.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/schemagen"
)

func main() {
	out := flag.String("out", "", "directory to write the schemas into (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genschemas: -out is required")
		os.Exit(2)
	}
	if err := schemagen.Write(*out, events.Catalog()); err != nil {
		fmt.Fprintln(os.Stderr, "genschemas:", err)
		os.Exit(1)
	}
}
