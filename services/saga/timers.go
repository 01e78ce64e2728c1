package saga

import (
	"container/heap"
	"time"
)

// timers indexes the current deadline of every running saga in a min-heap
// with one entry per saga, updated in place when the deadline moves and
// removed when the saga finishes. Due visits only the entries already due,
// so a tick costs O(due · log n), not O(n), with a million sagas held.
//
// It is derived data: Apply maintains it from the folded state, so a
// rebuild restores it and it is stored in snapshots as is (its layout decides which due sagas a capped tick returns).
type timers struct {
	heap timerHeap
	byID map[string]*timer
}

type timer struct {
	id    string
	at    time.Time
	index int // position in the heap, kept by timerHeap
}

func newTimers() timers { return timers{byID: map[string]*timer{}} }

// set arms saga id's timer at at, moving it if already armed.
func (t *timers) set(id string, at time.Time) {
	if tm, ok := t.byID[id]; ok {
		if !tm.at.Equal(at) {
			tm.at = at
			heap.Fix(&t.heap, tm.index)
		}
		return
	}
	tm := &timer{id: id, at: at}
	t.byID[id] = tm
	heap.Push(&t.heap, tm)
}

// remove disarms saga id's timer, if armed.
func (t *timers) remove(id string) {
	if tm, ok := t.byID[id]; ok {
		heap.Remove(&t.heap, tm.index)
		delete(t.byID, id)
	}
}

// len returns the number of armed timers.
func (t *timers) len() int { return len(t.heap) }

// due calls visit for up to limit timers at or before now, without
// removing them: a timer stays armed until its saga's deadline moves,
// which only handling the deadline command does. The walk descends only
// into due subtrees (a heap's children are never earlier than their
// parent), so it touches at most two entries per due one, plus the root.
func (t *timers) due(now time.Time, limit int, visit func(id string, at time.Time)) {
	if limit <= 0 {
		return
	}
	n := 0
	stack := []int{0}
	for len(stack) > 0 && n < limit {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(t.heap) || t.heap[i].at.After(now) {
			continue
		}
		visit(t.heap[i].id, t.heap[i].at)
		n++
		stack = append(stack, 2*i+2, 2*i+1)
	}
}

// timerHeap implements heap.Interface, earliest first; ties by saga ID
// keep the order independent of insertion history.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	tm := x.(*timer)
	tm.index = len(*h)
	*h = append(*h, tm)
}

func (h *timerHeap) Pop() any {
	old := *h
	tm := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	tm.index = -1
	return tm
}
