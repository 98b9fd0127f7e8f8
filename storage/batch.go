package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxBatch bounds how many member actions share one transaction.
const maxBatch = 2000

// groupCommit is a group-commit writer: callers hand it one action each and
// wait; whichever actions are waiting when the writer is free go into one
// write transaction, so under a burst a single commit stores hundreds of
// actions. Every caller gets its own result only after the transaction that
// holds its action has committed: an action is stored before it is
// acknowledged.
//
// The writer goroutine exists only while there is work: it is started by the
// first waiting action and ends when none is left, so nothing needs closing.
type groupCommit[In, Out any] struct {
	db   *DB
	name string
	// run applies a batch inside tx and returns one result per input.
	run func(ctx context.Context, tx *sql.Tx, in []In) ([]Out, error)

	mu      sync.Mutex
	pending []*job[In, Out]
	running bool
}

type job[In, Out any] struct {
	in   In
	out  Out
	err  error
	done chan struct{}
}

// do submits one action and waits until it is committed (or failed).
func (g *groupCommit[In, Out]) do(ctx context.Context, in In) (Out, error) {
	j := &job[In, Out]{in: in, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, j)
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		// The writer outlives this caller's context if need be: the
		// actions it carries belong to other callers too.
		go g.loop(context.WithoutCancel(ctx))
	}
	select {
	case <-j.done:
		return j.out, j.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

func (g *groupCommit[In, Out]) loop(ctx context.Context) {
	for {
		g.mu.Lock()
		batch := g.pending
		if len(batch) > maxBatch {
			batch = batch[:maxBatch]
		}
		g.pending = g.pending[len(batch):]
		if len(batch) == 0 {
			g.running = false
			g.pending = nil
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.flush(ctx, batch)
	}
}

func (g *groupCommit[In, Out]) flush(ctx context.Context, batch []*job[In, Out]) {
	in := make([]In, len(batch))
	for i, j := range batch {
		in[i] = j.in
	}
	var outs []Out
	err := g.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		outs, err = g.run(ctx, tx, in)
		return err
	})
	if err == nil && len(outs) != len(batch) {
		err = fmt.Errorf("%s: %d results for %d actions", g.name, len(outs), len(batch))
	}
	for i, j := range batch {
		if err != nil {
			j.err = fmt.Errorf("%s: %w", g.name, err)
		} else {
			j.out = outs[i]
		}
		close(j.done)
	}
}
