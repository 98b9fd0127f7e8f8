package storage

import "database/sql"

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
