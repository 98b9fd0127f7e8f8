package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MoveGroupMembers carries the members of a renamed group over to its new
// name, for platforms that key members by "<group>/<name>" (WeChat). A member
// "old/张三" becomes "new/张三"; if "new/张三" already exists (they spoke after
// the rename), it takes over the roster link when it has none. It returns how
// many members were moved or relinked.
func (db *DB) MoveGroupMembers(ctx context.Context, platform, oldGroup, newGroup string) (int, error) {
	defer db.cache.dropMembers()
	oldPrefix, newPrefix := oldGroup+"/", newGroup+"/"
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, external_id, roster_id, linked_at FROM members
			WHERE platform = ? AND external_id >= ? AND external_id < ? ORDER BY id`, platform, oldPrefix, oldPrefix+"\U0010FFFF")
		if err != nil {
			return err
		}
		type member struct {
			id       int64
			ext      string
			roster   sql.NullInt64
			linkedAt sql.NullInt64
		}
		var olds []member
		for rows.Next() {
			var m member
			if err := rows.Scan(&m.id, &m.ext, &m.roster, &m.linkedAt); err != nil {
				rows.Close()
				return err
			}
			olds = append(olds, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range olds {
			ext := newPrefix + strings.TrimPrefix(m.ext, oldPrefix)
			var newID int64
			var newRoster sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT id, roster_id FROM members WHERE platform = ? AND external_id = ?`, platform, ext).Scan(&newID, &newRoster)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `UPDATE members SET external_id = ? WHERE id = ?`, ext, m.id); err != nil {
					return fmt.Errorf("rename member %d: %w", m.id, err)
				}
				n++
			case err != nil:
				return err
			case !newRoster.Valid && m.roster.Valid:
				if _, err := tx.ExecContext(ctx, `UPDATE members SET roster_id = NULL, linked_at = NULL WHERE id = ?`, m.id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE members SET roster_id = ?, linked_at = ? WHERE id = ?`, m.roster, m.linkedAt, newID); err != nil {
					return fmt.Errorf("relink member %d: %w", newID, err)
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("move members of group %s to %s: %w", oldGroup, newGroup, err)
	}
	return n, nil
}
