package telegram

import (
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// lanes run work in order per key (a chat), concurrently across keys, and
// track every goroutine so a shutdown can wait for them.
type lanes struct {
	mu    sync.Mutex
	queue map[string][]func()
	wg    sync.WaitGroup
	log   *slog.Logger
}

// do queues f in key's lane, starting the lane if it is idle.
func (l *lanes) do(key string, f func()) {
	l.mu.Lock()
	if l.queue == nil {
		l.queue = map[string][]func(){}
	}
	if q, busy := l.queue[key]; busy {
		l.queue[key] = append(q, f)
		l.mu.Unlock()
		return
	}
	l.queue[key] = []func(){}
	l.wg.Add(1)
	l.mu.Unlock()
	go l.run(key, f)
}

func (l *lanes) run(key string, f func()) {
	defer l.wg.Done()
	for {
		l.safe(key, f)
		l.mu.Lock()
		q := l.queue[key]
		if len(q) == 0 {
			delete(l.queue, key)
			l.mu.Unlock()
			return
		}
		f = q[0]
		l.queue[key] = q[1:]
		l.mu.Unlock()
	}
}

// safe runs f; a panic is logged and the lane goes on (the engine recovers
// handlers' panics itself; this guards the adapter's own code).
func (l *lanes) safe(key string, f func()) {
	defer func() {
		if p := recover(); p != nil {
			log := l.log
			if log == nil {
				log = slog.Default()
			}
			log.Error("telegram update handling panicked", "chat", key, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	f()
}

// wait waits for every lane to finish its queue, at most grace. It reports
// whether they all finished.
func (l *lanes) wait(grace time.Duration) bool {
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
