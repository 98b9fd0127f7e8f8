package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/followup"
)

// The follow-up desk's statements (the web console): a task by its global
// id, and the notices that ask for confirmation.

// TaskByID is the check-in session or relay with the global id, open or
// not.
func (db *DB) TaskByID(ctx context.Context, kind followup.Kind, id int64) (followup.Task, error) {
	var row *sql.Row
	switch kind {
	case followup.KindCheckin:
		row = db.r.QueryRowContext(ctx, `SELECT `+checkinTaskCols+` WHERE s.id = ?`, id)
	case followup.KindRelay:
		row = db.r.QueryRowContext(ctx, `SELECT `+relayTaskCols+` WHERE r.id = ?`, id)
	default:
		return followup.Task{}, fmt.Errorf("task kind %q: %w", kind, bot.ErrNotFound)
	}
	t, err := scanTask(row)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return t, fmt.Errorf("read %s %d: %w", kind, id, err)
	}
	return t, err
}

// ConfirmBroadcasts lists the ids of the notices sent with confirm=yes
// last changed at or after since, newest first, at most limit.
func (db *DB) ConfirmBroadcasts(ctx context.Context, since time.Time, limit int) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM broadcasts WHERE status = 'sent' AND confirm = 1
		AND MAX(updated_at, COALESCE(send_at, 0)) >= ? ORDER BY id DESC LIMIT ?`, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("read notices asking for confirmation: %w", err)
	}
	return collect(rows, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}
