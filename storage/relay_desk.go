package storage

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/commands/relay"
)

// RelaysOfChat lists a chat's relays started at or after since, newest
// first, at most limit (the console's lists).
func (db *DB) RelaysOfChat(ctx context.Context, chatID int64, since time.Time, limit int) ([]relay.Relay, error) {
	return relayQuery(ctx, db.r, `SELECT `+relayCols+relayFrom+` WHERE r.chat_id = ? AND r.created_at >= ? ORDER BY r.id DESC LIMIT ?`, chatID, ms(since), limit)
}
