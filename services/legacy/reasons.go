package legacy

// Reason codes of bad rows and of rows the import did not send. They are
// stable: operators grep reports for them. A bad amount is reported with
// the money code of events (amount_malformed, amount_negative,
// amount_not_positive, amount_scale_exceeded, amount_too_large) and
// per-payment above daily limit with limits_invalid, as for channels.
const (
	// ReasonLineTooLong: the line exceeds MaxLineBytes.
	ReasonLineTooLong = "line_too_long"
	// ReasonMalformedJSON: not one JSON object, not UTF-8, or a member
	// given twice.
	ReasonMalformedJSON = "malformed_json"
	// ReasonUnknownField: a member the format does not have (a typo would
	// otherwise silently drop a value).
	ReasonUnknownField = "unknown_field"
	// ReasonMissingField: a member is absent, null or empty.
	ReasonMissingField = "missing_field"
	// ReasonWrongType: a member is not a JSON string (limits too: "500.00",
	// never 500.0, which a float would carry).
	ReasonWrongType = "wrong_type"
	// ReasonFieldInvalid: a member does not follow its grammar; Field
	// names it.
	ReasonFieldInvalid = "field_invalid"
	// ReasonLegacyNoNetsUnion: the legacy number already is a paycore
	// agreement number; migrating it would make look-ups ambiguous.
	ReasonLegacyNoNetsUnion = "legacy_no_netsunion_form"
	// ReasonDuplicateLegacyNo: the legacy number appears on several lines
	// with different content; none of them is imported, since the file
	// does not say which is right.
	ReasonDuplicateLegacyNo = "duplicate_legacy_no"

	// ReasonMappingConflict: legacy.mappings already maps the legacy
	// number to another account or channel; the row is not sent.
	ReasonMappingConflict = "mapping_conflict"
	// ReasonAgreementNoTaken: the new number is already mapped from
	// another legacy number (a hash collision; never seen, but checked).
	ReasonAgreementNoTaken = "agreement_no_taken"
	// ReasonNoAnswer: the payer bank did not answer within the wait;
	// importing the file again is safe.
	ReasonNoAnswer = "no_answer"
)
