package intake

import (
	"strings"

	"github.com/paycore/paycore/events"
)

// supportedVersion is the only body version of every request type today.
// A new version gets its own entry in bodies when it exists.
const supportedVersion = 1

// parseRequest checks a record up to, not including, its body: limits, the
// strict envelope, type, version and envelope fields. With a rejection,
// the identity holds whatever of the request could be read unambiguously.
func (h *Handler) parseRequest(value []byte) (events.Request, identity, *rejection) {
	if rej := h.cfg.checkLimits(value); rej != nil {
		return events.Request{}, identity{}, rej
	}
	var req events.Request
	if err := events.DecodeStrict(value, &req); err != nil {
		return events.Request{}, peekIdentity(value), decodeRejection("", err)
	}
	id := identity{
		channelID:      validOr(req.ChannelID, channelIDRE.MatchString),
		orderID:        validOr(req.OrderID, orderIDRE.MatchString),
		idempotencyKey: validOr(req.IdempotencyKey, idempotencyKeyRE.MatchString),
	}
	if bodies[req.Type] == nil {
		return req, id, reject(events.ReasonUnknownRequestType, "type", "must be one of "+strings.Join(RequestTypes(), ", "))
	}
	id.requestType = req.Type
	if req.Version != supportedVersion {
		return req, id, reject(events.ReasonUnsupportedVersion, "version", "only version 1 is supported")
	}
	for _, rule := range []struct {
		grammar
		value string
	}{
		{channelIDRule, req.ChannelID},
		{orderIDRule, req.OrderID},
		{idempotencyKeyRule, req.IdempotencyKey},
	} {
		if rej := rule.check(rule.value); rej != nil {
			return req, id, rej
		}
	}
	return req, id, nil
}

// validOr returns s if it is valid, else "".
func validOr(s string, valid func(string) bool) string {
	if valid(s) {
		return s
	}
	return ""
}
