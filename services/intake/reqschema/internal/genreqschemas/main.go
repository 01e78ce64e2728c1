// Command genreqschemas writes the channel request schemas and the channel
// developer guide. It is run by `go generate ./services/intake/...` (see
// package reqschema); do not edit its output by hand.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/paycore/paycore/services/intake/reqschema"
)

func main() {
	out := flag.String("out", "", "directory to write into (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genreqschemas: -out is required")
		os.Exit(2)
	}
	if err := reqschema.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genreqschemas:", err)
		os.Exit(1)
	}
}
