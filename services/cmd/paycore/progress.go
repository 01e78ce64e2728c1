package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress draws a bar on stderr: records done of total, rate and ETA. It
// draws nothing when quiet or when stderr is not a terminal (a log file or
// a CI runner gets the summary line only). Safe for concurrent use.
type progress struct {
	desc, unit string
	on         bool
	mu         sync.Mutex
	bar        *progressbar.ProgressBar
	done       int64
}

func newProgress(desc, unit string, quiet bool) *progress {
	return &progress{desc: desc, unit: unit, on: !quiet && stderrIsTerminal()}
}

func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// set moves the bar to done of total.
func (p *progress) set(done, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(done, total)
}

// add moves the bar n further, of total.
func (p *progress) add(n, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.done+n, total)
}

// draw needs p.mu.
func (p *progress) draw(done, total int64) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetDescription(p.desc),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(p.unit),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	p.done = done
	_ = p.bar.Set64(done)
}

// finish ends the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(os.Stderr)
		p.bar = nil
	}
}
