package kafkapubsub_test

import (
	"regexp"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
)

// TestWatermillSuite runs watermill's own Pub/Sub conformance suite on the
// real broker.
func TestWatermillSuite(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	// Every suite topic starts with this prefix; cleanup deletes them.
	prefix := kafkatest.UniqueTopic(t, "wmsuite")
	t.Cleanup(func() { deleteTopicsWithPrefix(t, brokers, prefix) })

	features := tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: false, // at least once: redelivery after rebalances and restarts
		// Order holds per partition; SubscribeInitialize creates suite topics
		// with one partition (InitializePartitions default), so the whole
		// topic is ordered, also across the 10 members of one group the
		// ordering test starts.
		GuaranteedOrder:                     true,
		GuaranteedOrderWithSingleSubscriber: false,
		Persistent:                          true,
		// Within one consumer group a new member resumes at the group's
		// committed offset by design; the suite's test of this feature
		// subscribes twice with the same group and expects the old messages
		// again, which only group-less readers do. A new group does read
		// the retained log (StartOffset FirstOffset): TestNewGroupReadsHistory.
		NewSubscriberReceivesOldMessages: false,
		// Not set: restarting the shared development broker would break the
		// tests of other packages that go test runs at the same time, so
		// the suite skips TestReconnect.
		RestartServiceCommand: nil,
		GenerateTopicFunc: func(tctx tests.TestContext) string {
			return prefix + "-" + string(tctx.TestID)
		},
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return suitePubSub(t, brokers, groupFor(t))
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return suitePubSub(t, brokers, group)
		},
	)
}

// groupFor names the group of the suite's default constructor after the
// test: all pub/subs a suite test creates share one group, as one service
// would, while parallel suite tests do not rebalance each other.
func groupFor(t *testing.T) string {
	return "wmsuite-" + regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-")
}

func suitePubSub(t *testing.T, brokers []string, group string) (message.Publisher, message.Subscriber) {
	t.Helper()
	pub := newPublisher(t, testPublisherConfig(brokers))
	sub := newSubscriber(t, testSubscriberConfig(brokers, group))
	return pub, sub
}
