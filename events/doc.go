// Package events defines paycore's event-sourcing vocabulary: exact CNY
// money, the event envelope and its wire codec, deterministic event IDs,
// and the registry that maps wire names to Go payload types.
//
// It sits at the bottom of the module's dependency graph and must not import
// any other paycore package, so that every service, projection and tool can
// share one definition of what an event looks like on the wire.
//
// Everything that crosses a process boundary is validated strictly on the
// way in: unknown or duplicated JSON members, numbers where strings are
// expected, and missing required fields are errors, never silent defaults,
// because a payment core must not guess what a message meant.
//
// Validation failures are reported as *Error values whose Code is a stable,
// machine-readable reason (for metrics, dead-letter routing and API
// responses); match them with errors.Is against the Err* sentinels.
package events
