package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MoveMembersByPrefix carries members over to a new platform id prefix, for
// platforms that key a group's members by group and name (WeChat: a member
// "old/张三" becomes "new/张三" after the group was renamed). If the new id
// is already taken (the member spoke after the rename), that member takes
// over the roster link when it has none. It returns how many members were
// moved or relinked.
func (db *DB) MoveMembersByPrefix(ctx context.Context, platform, oldPrefix, newPrefix string) (int, error) {
	defer db.cache.dropMembers()
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
		return 0, fmt.Errorf("move members %s* to %s*: %w", oldPrefix, newPrefix, err)
	}
	return n, nil
}
