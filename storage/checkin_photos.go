package storage

import (
	"context"
	"fmt"

	"github.com/branchbot/branchbot/commands/checkin"
)

// CheckinPhotos lists the photos of sessions' minutes, in order.
func (db *DB) CheckinPhotos(ctx context.Context, sessionIDs ...int64) ([]checkin.Photo, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, session_id, file, bytes, member_id, author_name, at FROM checkin_photos
		WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY id`, int64JSON(sessionIDs))
	if err != nil {
		return nil, fmt.Errorf("read minutes photos: %w", err)
	}
	return collect(rows, func(r rowScanner) (checkin.Photo, error) {
		var (
			p  checkin.Photo
			at int64
		)
		err := r.Scan(&p.ID, &p.SessionID, &p.File, &p.Bytes, &p.MemberID, &p.AuthorName, &at)
		p.At = fromMS(at)
		return p, err
	})
}

// AddPhoto stores a photo of a session's minutes and returns how many the
// session has now.
func (t *Tx) AddPhoto(p checkin.Photo) (int, error) {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO checkin_photos(session_id, file, bytes, member_id, author_name, at) VALUES (?, ?, ?, ?, ?, ?)`,
		p.SessionID, p.File, p.Bytes, p.MemberID, p.AuthorName, ms(p.At)); err != nil {
		return 0, fmt.Errorf("store photo of session %d: %w", p.SessionID, err)
	}
	var n int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM checkin_photos WHERE session_id = ?`, p.SessionID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count photos of session %d: %w", p.SessionID, err)
	}
	return n, nil
}
