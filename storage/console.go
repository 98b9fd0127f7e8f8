package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/console"
)

var _ console.Store = (*DB)(nil)

// ConsolePassword implements console.Store: the password hash of a roster
// entry, bot.ErrNotFound when none was set.
func (db *DB) ConsolePassword(ctx context.Context, rosterID int64) (string, error) {
	var h string
	err := db.r.QueryRowContext(ctx, `SELECT hash FROM console_passwords WHERE roster_id = ?`, rosterID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", bot.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read console password of roster %d: %w", rosterID, err)
	}
	return h, nil
}

// SetConsolePassword implements console.Store: it sets the entry's password
// hash and ends every session the entry had, in one transaction.
func (db *DB) SetConsolePassword(ctx context.Context, rosterID int64, hash string, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return setConsolePassword(ctx, tx, rosterID, hash, now) })
}

// setConsolePassword sets an entry's password hash and ends its sessions
// inside tx.
func setConsolePassword(ctx context.Context, tx *sql.Tx, rosterID int64, hash string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO console_passwords(roster_id, hash, set_at) VALUES (?, ?, ?)
		ON CONFLICT(roster_id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at`, rosterID, hash, ms(now)); err != nil {
		return fmt.Errorf("set console password of roster %d: %w", rosterID, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE roster_id = ?`, rosterID); err != nil {
		return fmt.Errorf("end console sessions of roster %d: %w", rosterID, err)
	}
	return nil
}

// CreateConsoleSession implements console.Store; it also drops sessions
// that expired before s was created.
func (db *DB) CreateConsoleSession(ctx context.Context, s console.Session) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= ?`, ms(s.CreatedAt)); err != nil {
			return fmt.Errorf("drop expired console sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions(token_hash, roster_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			s.TokenHash, s.RosterID, ms(s.CreatedAt), ms(s.ExpiresAt)); err != nil {
			return fmt.Errorf("create console session of roster %d: %w", s.RosterID, err)
		}
		return nil
	})
}

// ConsoleSession implements console.Store: the session with the token hash
// that has not expired at now, else bot.ErrNotFound.
func (db *DB) ConsoleSession(ctx context.Context, tokenHash string, now time.Time) (console.Session, error) {
	s := console.Session{TokenHash: tokenHash}
	var created, expires int64
	err := db.r.QueryRowContext(ctx, `SELECT roster_id, created_at, expires_at FROM console_sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, ms(now)).Scan(&s.RosterID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, bot.ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("read console session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, nil
}

// DeleteConsoleSession implements console.Store (signing out).
func (db *DB) DeleteConsoleSession(ctx context.Context, tokenHash string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// AddLoginFailure implements console.Store; failures older than a day are
// dropped on the way.
func (db *DB) AddLoginFailure(ctx context.Context, address, account string, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_login_failures WHERE at < ?`, ms(at.Add(-24*time.Hour))); err != nil {
			return fmt.Errorf("drop old login failures: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_login_failures(address, account, at) VALUES (?, ?, ?)`, address, account, ms(at)); err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		return nil
	})
}

// LoginFailures implements console.Store: failed sign-ins since a time from
// the address and on the account.
func (db *DB) LoginFailures(ctx context.Context, address, account string, since time.Time) (byAddress, byAccount int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM console_login_failures WHERE address = ? AND at >= ?),
		(SELECT COUNT(*) FROM console_login_failures WHERE account = ? AND at >= ?)`,
		address, ms(since), account, ms(since)).Scan(&byAddress, &byAccount)
	if err != nil {
		return 0, 0, fmt.Errorf("count login failures: %w", err)
	}
	return byAddress, byAccount, nil
}

// ClearLoginFailures implements console.Store: a successful sign-in forgets
// the account's failures (not the address's).
func (db *DB) ClearLoginFailures(ctx context.Context, account string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM console_login_failures WHERE account = ?`, account); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// Ping implements console.Store: the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// UploadRoster implements console.Store with SyncRoster, keeping the
// entries the file leaves out.
func (db *DB) UploadRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time) (added, updated, unchanged, missing int, err error) {
	r, err := db.SyncRoster(ctx, entries, at, false)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return r.Added, r.Updated, r.Unchanged, len(r.Missing), nil
}
