package platformtest

import (
	"sync"
	"testing"
	"time"
)

// Refuser decides, send by send, which sends to one chat a Harness.Refuse
// refuses: a harness's hook on its fake server calls Next for every send to
// the chat and refuses those it is told to.
type Refuser struct {
	mu        sync.Mutex
	accept, n int
	seen      int
	refusedAt chan time.Time
	after     time.Duration
	account   bool
}

// NewRefuser lets accept sends through, then refuses n. after and account
// describe the platform's answer (see Refusal).
func NewRefuser(accept, n int, after time.Duration, account bool) *Refuser {
	return &Refuser{accept: accept, n: n, refusedAt: make(chan time.Time, n), after: after, account: account}
}

// Next counts one send to the chat and reports whether to refuse it.
func (r *Refuser) Next() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	if r.seen <= r.accept || r.seen > r.accept+r.n {
		return false
	}
	r.refusedAt <- time.Now()
	return true
}

// Refusal is what Harness.Refuse returns.
func (r *Refuser) Refusal() Refusal {
	return Refusal{After: r.after, Account: r.account, At: r.refusedAt}
}

// Gate holds the first send that passes it, for a Harness.Hold: a
// harness's hook on its fake server calls Pass for every send to the chat.
type Gate struct {
	once    sync.Once
	started chan struct{}
	release chan bool
	ended   chan struct{}
}

// NewGate makes a gate that lets its held send go (failed) when t ends, so
// a failing test never leaves a fake server waiting.
func NewGate(t *testing.T) *Gate {
	g := &Gate{started: make(chan struct{}), release: make(chan bool, 1), ended: make(chan struct{})}
	t.Cleanup(func() { close(g.ended) })
	return g
}

// Pass returns at once for every send but the first, which it holds until
// the test releases it. It reports whether the send goes through; false
// means fail it the way a broken connection fails it.
func (g *Gate) Pass() bool {
	first := false
	g.once.Do(func() { first = true })
	if !first {
		return true
	}
	close(g.started)
	select {
	case accept := <-g.release:
		return accept
	case <-g.ended:
		return false
	}
}

// Hold is what Harness.Hold returns.
func (g *Gate) Hold() Hold {
	return Hold{Started: g.started, Release: func(accept bool) { g.release <- accept }}
}
