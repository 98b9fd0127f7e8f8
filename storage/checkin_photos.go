package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
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

// PhotoWait is the chat member's wait for photos that has not expired at
// now; bot.ErrNotFound if none.
func (db *DB) PhotoWait(ctx context.Context, chatID, memberID int64, now time.Time) (checkin.PhotoWait, error) {
	return scanPhotoWait(db.r.QueryRowContext(ctx, `SELECT `+photoWaitCols+` FROM checkin_photo_waits
		WHERE chat_id = ? AND member_id = ? AND expires > ?`, chatID, memberID, ms(now)))
}

const photoWaitCols = `chat_id, member_id, session_id, expires, taken`

func scanPhotoWait(row rowScanner) (checkin.PhotoWait, error) {
	var (
		w       checkin.PhotoWait
		expires int64
	)
	err := row.Scan(&w.ChatID, &w.MemberID, &w.SessionID, &expires, &w.Taken)
	if errors.Is(err, sql.ErrNoRows) {
		return w, bot.ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("read photo wait: %w", err)
	}
	w.Expires = fromMS(expires)
	return w, nil
}

// WaitForPhotos starts w (Taken 0), replacing the member's earlier wait in
// the chat.
func (t *Tx) WaitForPhotos(w checkin.PhotoWait) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO checkin_photo_waits(chat_id, member_id, session_id, expires, taken) VALUES (?, ?, ?, ?, 0)
		ON CONFLICT(chat_id, member_id) DO UPDATE SET session_id = excluded.session_id, expires = excluded.expires, taken = 0`,
		w.ChatID, w.MemberID, w.SessionID, ms(w.Expires)); err != nil {
		return fmt.Errorf("store photo wait of member %d in chat %d: %w", w.MemberID, w.ChatID, err)
	}
	return nil
}

// TookWaitedPhoto counts one more photo in the member's wait in the chat
// and moves its expiry to expires; it returns the wait as it is now
// (bot.ErrNotFound if there is none).
func (t *Tx) TookWaitedPhoto(chatID, memberID int64, expires time.Time) (checkin.PhotoWait, error) {
	return scanPhotoWait(t.tx.QueryRowContext(t.ctx, `UPDATE checkin_photo_waits SET taken = taken + 1, expires = ?
		WHERE chat_id = ? AND member_id = ? RETURNING `+photoWaitCols, ms(expires), chatID, memberID))
}

// EndPhotoWait removes the member's wait in the chat and returns it if it
// had not expired at now (bot.ErrNotFound if not).
func (t *Tx) EndPhotoWait(chatID, memberID int64, now time.Time) (checkin.PhotoWait, error) {
	w, err := scanPhotoWait(t.tx.QueryRowContext(t.ctx, `DELETE FROM checkin_photo_waits
		WHERE chat_id = ? AND member_id = ? RETURNING `+photoWaitCols, chatID, memberID))
	if err == nil && !w.Expires.After(now) {
		return w, bot.ErrNotFound
	}
	return w, err
}
