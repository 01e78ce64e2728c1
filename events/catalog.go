package events

// Regenerate schemas/events after adding or changing an event type; the
// schemagen drift test fails until you do.
//go:generate go run ./internal/genschemas -out ../schemas/events

// Catalog returns a new registry holding every event type paycore writes or
// reads. It is the single place where event types are registered: a type
// missing here cannot be produced (Registry.New) or consumed
// (Registry.Decode), and gets no JSON Schema.
//
// Build it once at start-up and share it; it is safe for concurrent use.
// Each call returns a fresh registry, so callers cannot affect each other by
// registering extra types.
func Catalog() *Registry {
	r := NewRegistry()

	// Diagnostics.
	r.Register(ProbeSent{})

	// Saga processor: commands, then events.
	r.Register(StartPayment{})
	r.Register(StartSigning{})
	r.Register(SubmitSMSCode{})
	r.Register(FireDeadline{})
	r.Register(PaymentStarted{})
	r.Register(PaymentDuplicateRejected{})
	r.Register(PaymentStepChanged{})
	r.Register(PaymentFinished{})
	r.Register(SigningStarted{})
	r.Register(SigningCodeSubmitted{})
	r.Register(SigningConfirmRejected{})
	r.Register(SigningStepChanged{})
	r.Register(SigningFinished{})

	// Payer-bank processor.
	r.Register(OpenAccount{})
	r.Register(VerifySigning{})
	r.Register(ConfirmAgreement{})
	r.Register(TerminateAgreement{})
	r.Register(DebitPayer{})
	r.Register(QueryDebit{})
	r.Register(ReverseDebit{})
	r.Register(AccountOpenedV1{}) // read-only: upcast to v2 below
	r.Register(AccountOpened{})
	r.Register(SigningVerified{})
	r.Register(SigningRefused{})
	r.Register(SMSCodeRejected{})
	r.Register(AgreementSigned{})
	r.Register(AgreementTerminated{})
	r.Register(TerminationRefused{})
	r.Register(PayerDebited{})
	r.Register(PayerDebitRefused{})
	r.Register(PayerDebitReversed{})
	r.Register(DebitStatusReported{})

	// Reserve-bank processor.
	r.Register(CreditReserve{})
	r.Register(QueryCredit{})
	r.Register(ReserveCredited{})
	r.Register(ReserveCreditRefused{})
	r.Register(CreditStatusReported{})

	// Clearing, reconciliation and error handling.
	r.Register(BatchClosed{})
	r.Register(SettlementInstructed{})
	r.Register(DiscrepancyFound{})
	r.Register(BatchReconciled{})
	r.Register(CorrectPayment{})
	r.Register(PaymentCorrectionStarted{})
	r.Register(PaymentCorrected{})
	r.Register(PostReserveSummary{})
	r.Register(ReserveSummaryPosted{})

	// Refunds: saga, reserve-bank and payer-bank sides.
	r.Register(StartRefund{})
	r.Register(RefundStarted{})
	r.Register(RefundRejected{})
	r.Register(RefundStepChanged{})
	r.Register(RefundFinished{})
	r.Register(DebitReserve{})
	r.Register(QueryReserveDebit{})
	r.Register(ReverseReserveDebit{})
	r.Register(ReserveDebited{})
	r.Register(ReserveDebitRefused{})
	r.Register(ReserveDebitReversed{})
	r.Register(ReserveDebitStatusReported{})
	r.Register(FundReserve{})
	r.Register(CreditPayer{})
	r.Register(QueryPayerCredit{})
	r.Register(PayerCredited{})
	r.Register(PayerCreditRefused{})
	r.Register(PayerCreditStatusReported{})

	// Reserve sub-accounts (分户): funding, spreading and rebalancing.
	r.Register(ReserveFunded{})
	r.Register(CreditSubAccount{})
	r.Register(SubAccountCredited{})
	r.Register(ReserveDebitHeld{})
	r.Register(BorrowStarted{})
	r.Register(BorrowFromSibling{})
	r.Register(SubAccountLent{})
	r.Register(BorrowReturned{})

	// Migration of stock agreements: the payer-bank import and the
	// mapping log.
	r.Register(ImportAgreement{})
	r.Register(AgreementImported{})
	r.Register(AgreementImportRefused{})
	r.Register(AgreementMapped{})

	// Cutover: routing rules and decisions, the legacy direct path and its
	// refunds, and the payer bank's side of the direct link.
	r.Register(CutoverRulesPublished{})
	r.Register(RoutePayment{})
	r.Register(PaymentRouted{})
	r.Register(StartDirectPayment{})
	r.Register(FireDirectDeadline{})
	r.Register(DirectPaymentStarted{})
	r.Register(DirectPaymentStepChanged{})
	r.Register(DirectPaymentFinished{})
	r.Register(StartLegacyRefund{})
	r.Register(LegacyRefundRejected{})
	r.Register(LegacyRefundRedirected{})
	r.Register(LegacyRefundStarted{})
	r.Register(LegacyRefundStepChanged{})
	r.Register(LegacyRefundFinished{})
	r.Register(ReceivePrefund{})
	r.Register(PrefundReceived{})
	r.Register(DrawPrefund{})
	r.Register(PrefundDrawn{})
	r.Register(PrefundDrawRefused{})
	r.Register(ReturnPrefund{})
	r.Register(PrefundReturned{})
	r.Register(RecordAdvance{})
	r.Register(RefundAdvanced{})
	r.Register(RepayAdvance{})
	r.Register(AdvanceRepaid{})
	r.Register(RepaymentRefused{})
	r.Register(DirectDebit{})
	r.Register(QueryDirectDebit{})
	r.Register(DirectDebited{})
	r.Register(DirectDebitRefused{})
	r.Register(DirectDebitStatusReported{})
	r.Register(DirectRefundCredit{})
	r.Register(QueryDirectRefundCredit{})
	r.Register(DirectRefundCredited{})
	r.Register(DirectRefundCreditRefused{})
	r.Register(DirectRefundCreditStatusReported{})

	// Never remove or reuse a (type, version) that has been written to a
	// log: add a new version, keep the old struct frozen, and register an
	// upcaster from it (see Upcast).
	Upcast(r, upcastAccountOpenedV1)

	return r
}
