package console

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
)

// Session is one signed-in browser: only a SHA-256 of the cookie's token is
// stored, so a copy of the database signs nobody in.
type Session struct {
	TokenHash string
	RosterID  int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store is what the console reads and writes of its own (passwords,
// sessions, failed sign-ins), besides what the features it calls read.
// *storage.DB satisfies it.
type Store interface {
	core.Store
	// ConsolePassword is a roster entry's password hash (argon2id, PHC
	// form); bot.ErrNotFound when none was set.
	ConsolePassword(ctx context.Context, rosterID int64) (string, error)
	// SetConsolePassword sets it and ends the entry's sessions.
	SetConsolePassword(ctx context.Context, rosterID int64, hash string, now time.Time) error
	CreateConsoleSession(ctx context.Context, s Session) error
	// ConsoleSession is the session with the token hash, unexpired at now;
	// bot.ErrNotFound otherwise.
	ConsoleSession(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	DeleteConsoleSession(ctx context.Context, tokenHash string) error
	// AddLoginFailure records a failed sign-in from an address on an
	// account (the 工号 typed).
	AddLoginFailure(ctx context.Context, address, account string, at time.Time) error
	// LoginFailures counts the failures since a time from the address and
	// on the account.
	LoginFailures(ctx context.Context, address, account string, since time.Time) (byAddress, byAccount int, err error)
	// ClearLoginFailures forgets an account's failures after a sign-in.
	ClearLoginFailures(ctx context.Context, account string) error
	// UploadRoster adds and updates roster entries by number in one
	// transaction, as `branchbot roster import` without --remove-missing
	// does; missing counts the entries on the roster the file leaves out
	// (kept).
	UploadRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time) (added, updated, unchanged, missing int, err error)
	// PasswordLink is the roster entry of an unused password link with the
	// token hash, unexpired at now; bot.ErrNotFound otherwise.
	PasswordLink(ctx context.Context, tokenHash string, now time.Time) (int64, error)
	// UsePasswordLink uses up the link (and the entry's other unused
	// links), sets the entry's password hash and ends its sessions, in one
	// transaction; bot.ErrNotFound when the link is unknown, used or
	// expired.
	UsePasswordLink(ctx context.Context, tokenHash, passwordHash string, now time.Time) (int64, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
}
