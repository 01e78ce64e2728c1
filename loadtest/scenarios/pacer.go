package scenarios

import (
	"context"
	"sync"
	"time"
)

// Due is one arrival that is due: its index in the schedule and the time
// the schedule planned for it.
type Due struct {
	Index int
	At    time.Time
}

// Dispatch is the open loop: it hands every arrival of arrivals (offsets
// from start) to build at its planned time, on one goroutine in order,
// and queues what build returns for workers goroutines that call send
// (with everything queued at that moment, in order).
// The pacing goroutine waits for the clock only: never for send, never
// for an answer; a send that is slow makes the queue longer, not the
// arrivals later. (Only a queue of queueBatches unsent batches blocks it,
// so memory stays bounded; the delay that would cause is then visible as
// Sent.At − Due.At.)
//
// build returns false to skip an arrival. sent is told about every batch
// after its send, from the worker that sent it. Dispatch returns when every
// arrival was built and every queued batch sent, or ctx ended.
func Dispatch[T any](ctx context.Context, start time.Time, arrivals []time.Duration, workers int,
	build func(Due) (T, bool), send func(context.Context, []T) error, sent func(SendReport[T])) {
	queue := make(chan pending[T], queueBatches)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queue {
				// Whatever else is queued goes along: one produce call
				// per wake-up of the pacer would make the round trip of a
				// call, not the schedule, the limit on the send rate.
			more:
				for len(p.items) < coalesceItems {
					select {
					case q, ok := <-queue:
						if !ok {
							break more
						}
						p.items = append(p.items, q.items...)
					default:
						break more
					}
				}
				began := time.Now()
				err := send(ctx, p.items)
				sent(SendReport[T]{Items: p.items, Due: p.due, Began: began, Done: time.Now(), Err: err})
			}
		}()
	}
	Pace(ctx, start, arrivals, func(due []Due) {
		p := pending[T]{due: due[0].At}
		for _, d := range due {
			if item, ok := build(d); ok {
				p.items = append(p.items, item)
			}
		}
		if len(p.items) > 0 {
			select {
			case queue <- p:
			case <-ctx.Done():
			}
		}
	})
	close(queue)
	wg.Wait()
}

// queueBatches bounds the batches built but not yet sent; a worker sends
// up to coalesceItems queued items in one call.
const (
	queueBatches  = 1 << 14
	coalesceItems = 1000
)

type pending[T any] struct {
	items []T
	due   time.Time
}

// SendReport says how one batch went: Due is the planned time of its
// first arrival, Began and Done bracket the send call.
type SendReport[T any] struct {
	Items       []T
	Due         time.Time
	Began, Done time.Time
	Err         error
}

// Pace calls emit with the arrivals that are due, in order, as the clock
// reaches them: every arrival whose planned time (start + offset) has
// passed goes into one call, so a late wake-up sends a batch instead of
// falling further behind. emit must not keep the slice. It returns after
// the last arrival or when ctx ends.
func Pace(ctx context.Context, start time.Time, arrivals []time.Duration, emit func([]Due)) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var due []Due
	for i := 0; i < len(arrivals); {
		now := time.Now()
		due = due[:0]
		for ; i < len(arrivals) && !start.Add(arrivals[i]).After(now); i++ {
			due = append(due, Due{Index: i, At: start.Add(arrivals[i])})
		}
		if len(due) > 0 {
			emit(due)
			continue
		}
		timer.Reset(start.Add(arrivals[i]).Sub(now))
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}
