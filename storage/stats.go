package storage

import (
	"context"
	"fmt"
)

// RowCounts counts the rows of every table of the database (its own
// bookkeeping tables included), by table name.
func (db *DB) RowCounts(ctx context.Context) (map[string]int64, error) {
	names, err := db.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+n+`"`).Scan(&c); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", n, err)
		}
		out[n] = c
	}
	return out, nil
}

// tableNames lists the database's tables (not SQLite's own).
func (db *DB) tableNames(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return collect(rows, func(r rowScanner) (string, error) {
		var n string
		err := r.Scan(&n)
		return n, err
	})
}

// Vacuum rewrites the database file without its free pages (those left by
// pruning, which later rows would otherwise reuse). It holds the database
// for as long as it takes and needs as much free disk space again.
func (db *DB) Vacuum(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
