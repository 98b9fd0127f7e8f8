package storage

import (
	"context"
	"fmt"
)

// BaselineInserts does n single-row inserts, each its own transaction, into
// a scratch table. Benchmarks print it beside the engine's figures, as the
// bare speed of this database on this machine.
func (db *DB) BaselineInserts(ctx context.Context, n int) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_baseline (id INTEGER PRIMARY KEY, chat INTEGER NOT NULL, member INTEGER NOT NULL, at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create baseline table: %w", err)
	}
	for i := range n {
		if _, err := db.w.ExecContext(ctx, `INSERT INTO bench_baseline(chat, member, at) VALUES (?, ?, ?)`, i%100, i, i); err != nil {
			return fmt.Errorf("baseline insert %d: %w", i, err)
		}
	}
	return nil
}
