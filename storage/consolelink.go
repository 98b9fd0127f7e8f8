package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/consolelink"
)

var _ consolelink.Store = (*DB)(nil)

// PasswordLinksSince implements consolelink.Store.
func (db *DB) PasswordLinksSince(ctx context.Context, rosterID int64, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM console_password_links WHERE roster_id = ? AND created_at >= ?`, rosterID, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count password links of roster %d: %w", rosterID, err)
	}
	return n, nil
}

// UpdatePasswordLinks implements consolelink.Store.
func (db *DB) UpdatePasswordLinks(ctx context.Context, now time.Time, fn func(consolelink.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// AddPasswordLink implements consolelink.Tx; it also drops links that
// expired a day before this one was made.
func (t *Tx) AddPasswordLink(l consolelink.Link) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM console_password_links WHERE expires_at < ?`, ms(l.CreatedAt.Add(-24*time.Hour))); err != nil {
		return fmt.Errorf("drop old password links: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO console_password_links(token_hash, roster_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		l.TokenHash, l.RosterID, ms(l.CreatedAt), ms(l.ExpiresAt)); err != nil {
		return fmt.Errorf("add password link of roster %d: %w", l.RosterID, err)
	}
	return nil
}

// PasswordLink implements console.Store: the roster entry of an unused
// link with the token hash that has not expired at now, else
// bot.ErrNotFound.
func (db *DB) PasswordLink(ctx context.Context, tokenHash string, now time.Time) (int64, error) {
	var id int64
	err := db.r.QueryRowContext(ctx, `SELECT roster_id FROM console_password_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
		tokenHash, ms(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, bot.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("read password link: %w", err)
	}
	return id, nil
}

// UsePasswordLink implements console.Store: in one transaction it uses up
// the link (and every other unused link of the entry), sets the entry's
// password hash and ends its sessions. bot.ErrNotFound when the link is
// unknown, used or expired at now.
func (db *DB) UsePasswordLink(ctx context.Context, tokenHash, passwordHash string, now time.Time) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE console_password_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING roster_id`,
			ms(now), tokenHash, ms(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return bot.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("use password link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE console_password_links SET used_at = ? WHERE roster_id = ? AND used_at IS NULL`, ms(now), id); err != nil {
			return fmt.Errorf("use other password links of roster %d: %w", id, err)
		}
		return setConsolePassword(ctx, tx, id, passwordHash, now)
	})
	return id, err
}
