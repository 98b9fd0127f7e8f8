package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// SaveButtonData stores the command line a button token stands for. Saving
// a token again keeps the first data (tokens are derived from data).
func (db *DB) SaveButtonData(ctx context.Context, token, data string, now time.Time) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO button_tokens(token, data, created_at) VALUES (?, ?, ?)
		ON CONFLICT(token) DO NOTHING`, token, data, ms(now))
	if err != nil {
		return fmt.Errorf("save button token %s: %w", token, err)
	}
	return nil
}

// ButtonData returns the command line behind a button token, or
// bot.ErrNotFound.
func (db *DB) ButtonData(ctx context.Context, token string) (string, error) {
	var data string
	err := db.r.QueryRowContext(ctx, `SELECT data FROM button_tokens WHERE token = ?`, token).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read button token %s: %w", token, err)
	}
	return data, nil
}
