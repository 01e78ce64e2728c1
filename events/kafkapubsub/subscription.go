package kafkapubsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// subscription is one Subscribe call: one group member, one goroutine,
// one message in flight.
type subscription struct {
	cfg    SubscriberConfig
	reader *kafka.Reader
	// poison writes a record to the poison topic; nil without one.
	poison func(rec kafka.Message, reason string) error
	out    chan *message.Message
	logger watermill.LoggerAdapter
}

// run fetches and delivers until ctx ends, then leaves the group and
// closes out.
func (s *subscription) run(ctx context.Context) {
	defer close(s.out)
	defer func() {
		if err := s.reader.Close(); err != nil {
			s.logger.Error("closing reader", err, nil)
		}
	}()
	for {
		rec, err := s.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			// kafka-go retries broker errors itself; what surfaces here has
			// exhausted that, so pause before asking again.
			s.logger.Error("fetching", err, nil)
			if !sleep(ctx, s.cfg.ReadBackoffMax) {
				return
			}
			continue
		}
		if !s.deliver(ctx, rec) {
			return
		}
	}
}

// deliver hands rec to the consumer until it is acked or poisoned, and
// commits its offset. It returns false when ctx ended first; the offset is
// then not committed, so the group delivers rec again.
func (s *subscription) deliver(ctx context.Context, rec kafka.Message) bool {
	fields := watermill.LogFields{"partition": rec.Partition, "offset": rec.Offset}
	for nacks := 0; ; nacks++ {
		msg := fromKafka(rec)
		msgCtx, cancel := context.WithCancel(withPosition(ctx, rec))
		msg.SetContext(msgCtx)

		select {
		case s.out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		}

		select {
		case <-msg.Acked():
			cancel()
			s.commit(rec, fields)
			return true
		case <-msg.Nacked():
			cancel()
		case <-ctx.Done():
			cancel()
			// An ack racing the shutdown still deserves its commit: one
			// duplicate fewer after the restart.
			select {
			case <-msg.Acked():
				s.commit(rec, fields)
			default:
			}
			return false
		}

		if s.poison != nil && nacks >= s.cfg.MaxRedeliveries {
			reason := fmt.Sprintf("nacked %d times, MaxRedeliveries is %d", nacks+1, s.cfg.MaxRedeliveries)
			if r := msg.Metadata.Get(MetadataNackReason); r != "" {
				reason = r + " (" + reason + ")"
			}
			err := s.poison(rec, reason)
			if err == nil {
				s.logger.Error("message poisoned", errors.New(reason), fields.Add(watermill.LogFields{"uuid": msg.UUID}))
				s.commit(rec, fields)
				return true
			}
			// Never drop: keep redelivering and try the poison topic again
			// on the next nack.
			s.logger.Error("writing to poison topic failed; redelivering", err, fields)
		}
		if !sleep(ctx, s.cfg.NackResendSleep) {
			return false
		}
	}
}

// commit records rec as consumed. The commit gets its own deadline instead
// of the subscription's context, so an ack just before Close still lands.
// A failed commit is logged, not retried: the next commit of the partition
// covers it, or the group redelivers (at least once).
func (s *subscription) commit(rec kafka.Message, fields watermill.LogFields) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CommitTimeout)
	defer cancel()
	if err := s.reader.CommitMessages(ctx, rec); err != nil {
		s.logger.Error("committing offset; the message will be delivered again", err, fields)
	}
}

// sleep waits d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
