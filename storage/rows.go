package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// rowScanner is what *sql.Row and *sql.Rows have in common; the scanX
// functions take it so one function reads a row of either.
type rowScanner = interface{ Scan(...any) error }

// collect reads every row of rows with scan, in order, and closes rows. It
// returns the first scan error, or rows.Err() once all are read.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// idSets runs query, a SELECT of two integer columns that ends in "IN (",
// for the keys (500 at a time, within SQLite's limit on parameters) and
// returns, for each value of the first column, the set of values of the
// second. what names the read in an error.
func (db *DB) idSets(ctx context.Context, what, query string, keys []int64) (map[int64]map[int64]bool, error) {
	out := map[int64]map[int64]bool{}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		rows, err := db.r.QueryContext(ctx, query+placeholders(len(chunk))+`)`, int64Args(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		for rows.Next() {
			var k, v int64
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			if out[k] == nil {
				out[k] = map[int64]bool{}
			}
			out[k][v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
