package core

import (
	"context"
	"errors"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// UnitDef is a unit as configured: a name and its parent's name.
type UnitDef struct {
	Name   string
	Parent string // "" for a root
}

// ErrLinked reports that a roster entry is already linked to another
// identity on the same platform.
var ErrLinked = errors.New("roster entry linked to another identity on the platform")

// Store is what the core commands read and write. *storage.DB satisfies it.
type Store interface {
	// BindChat binds a chat to a unit (0 unbinds).
	BindChat(ctx context.Context, chatID, unitID int64) error
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	// LinkMember links a platform identity to a roster entry; ErrLinked
	// when another identity on the same platform holds the entry.
	LinkMember(ctx context.Context, memberID, rosterID int64, at time.Time) error
	// UnlinkRoster removes every platform link to a roster entry and
	// returns how many there were.
	UnlinkRoster(ctx context.Context, rosterID int64) (int, error)
}

// SetupStore is what Setup applies the configured organisation to.
// *storage.DB satisfies it.
type SetupStore interface {
	// SyncUnits creates or re-parents units; parents come before their
	// children. Units not in the list are kept.
	SyncUnits(ctx context.Context, defs []UnitDef) error
	Units(ctx context.Context) ([]bot.Unit, error)
	RosterCount(ctx context.Context) (int, error)
	// ImportRoster adds or updates entries by number.
	ImportRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time) (added, updated int, err error)
}
