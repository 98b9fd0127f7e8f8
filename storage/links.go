package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
)

var _ core.Tx = (*Tx)(nil)

// UpdateLinks implements core.Store: fn runs in one write transaction. The
// members it links or unlinks are read again after the commit.
func (db *DB) UpdateLinks(ctx context.Context, now time.Time, fn func(core.Tx) error) error {
	var changed []int64
	err := db.Update(ctx, now, func(t *Tx) error {
		t.linked = &changed
		return fn(t)
	})
	for _, id := range changed {
		db.cache.dropMember(id)
	}
	if err != nil {
		// A rolled-back link may have been cached in between.
		db.cache.dropMembers()
	}
	return err
}

// LinkMember links a platform identity to a roster entry at once, as an
// operator would (method preset). It returns core.ErrLinked if another
// identity on the same platform holds the entry.
func (db *DB) LinkMember(ctx context.Context, memberID, rosterID int64, at time.Time) error {
	return db.UpdateLinks(ctx, at, func(tx core.Tx) error {
		return tx.LinkMember(memberID, rosterID, core.MethodPreset)
	})
}

func (t *Tx) noteMember(id int64) {
	if t.linked != nil {
		*t.linked = append(*t.linked, id)
	}
}

// LinkMember implements core.Tx.
func (t *Tx) LinkMember(memberID, rosterID int64, method string) error {
	t.noteMember(memberID)
	_, err := t.tx.ExecContext(t.ctx, `UPDATE members SET roster_id = ?, linked_at = ?, link_method = ? WHERE id = ?`,
		rosterID, ms(t.now), method, memberID)
	if isUnique(err) {
		return core.ErrLinked
	}
	if err != nil {
		return fmt.Errorf("link member %d to roster %d: %w", memberID, rosterID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO link_events(at, roster_id, member_id, action, method) VALUES (?, ?, ?, 'linked', ?)`,
		ms(t.now), rosterID, memberID, method); err != nil {
		return fmt.Errorf("log link of member %d: %w", memberID, err)
	}
	return nil
}

// UnlinkMember implements core.Tx.
func (t *Tx) UnlinkMember(memberID int64, by string) (bool, error) {
	t.noteMember(memberID)
	var rosterID sql.NullInt64
	err := t.tx.QueryRowContext(t.ctx, `SELECT roster_id FROM members WHERE id = ?`, memberID).Scan(&rosterID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !rosterID.Valid {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read link of member %d: %w", memberID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE members SET roster_id = NULL, linked_at = NULL, link_method = '' WHERE id = ?`, memberID); err != nil {
		return false, fmt.Errorf("unlink member %d: %w", memberID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO link_events(at, roster_id, member_id, action, actor_name) VALUES (?, ?, ?, 'unlinked', ?)`,
		ms(t.now), rosterID.Int64, memberID, by); err != nil {
		return false, fmt.Errorf("log unlink of member %d: %w", memberID, err)
	}
	return true, nil
}

// UseLinkCode implements core.Tx.
func (t *Tx) UseLinkCode(codeID, memberID int64) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE link_codes SET used_at = ?, used_by = ?
		WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`, ms(t.now), memberID, codeID, ms(t.now))
	if err != nil {
		return fmt.Errorf("use link code %d: %w", codeID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrStale
	}
	return nil
}

// IssueLinkCode implements core.Tx.
func (t *Tx) IssueLinkCode(c core.LinkCode) (int64, error) {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE link_codes SET revoked_at = ? WHERE roster_id = ? AND used_at IS NULL AND revoked_at IS NULL`,
		ms(t.now), c.RosterID); err != nil {
		return 0, fmt.Errorf("revoke earlier link codes of roster %d: %w", c.RosterID, err)
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO link_codes(roster_id, salt, hash, issued_by, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.RosterID, c.Salt, c.Hash, c.IssuedBy, ms(c.IssuedAt), ms(c.ExpiresAt))
	if err != nil {
		return 0, fmt.Errorf("store link code of roster %d: %w", c.RosterID, err)
	}
	return res.LastInsertId()
}

// AddLinkFailure implements core.Tx.
func (t *Tx) AddLinkFailure(memberID, rosterID int64, before time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM link_failures WHERE at < ?`, ms(before)); err != nil {
		return fmt.Errorf("forget old link failures: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO link_failures(member_id, roster_id, at) VALUES (?, ?, ?)`,
		memberID, nullID(rosterID), ms(t.now)); err != nil {
		return fmt.Errorf("record link failure of member %d: %w", memberID, err)
	}
	return nil
}

// AddLinkRequest implements core.Tx.
func (t *Tx) AddLinkRequest(r core.LinkRequest) (core.LinkRequest, error) {
	if err := t.WithdrawLinkRequests(r.MemberID); err != nil {
		return r, err
	}
	r.State, r.CreatedAt = core.RequestPending, t.now
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO link_requests(member_id, roster_id, chat_id, state, created_at) VALUES (?, ?, ?, 'pending', ?)`,
		r.MemberID, r.RosterID, r.ChatID, ms(t.now))
	if err != nil {
		return r, fmt.Errorf("store link request of member %d: %w", r.MemberID, err)
	}
	r.ID, err = res.LastInsertId()
	return r, err
}

// DecideLinkRequest implements core.Tx.
func (t *Tx) DecideLinkRequest(id int64, state, by, reason string) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE link_requests SET state = ?, decided_at = ?, decided_by = ?, reason = ?
		WHERE id = ? AND state = 'pending'`, state, ms(t.now), by, reason, id)
	if err != nil {
		return fmt.Errorf("decide link request %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.ErrStale
	}
	return nil
}

// WithdrawLinkRequests implements core.Tx.
func (t *Tx) WithdrawLinkRequests(memberID int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE link_requests SET state = 'withdrawn', decided_at = ? WHERE member_id = ? AND state = 'pending'`,
		ms(t.now), memberID); err != nil {
		return fmt.Errorf("withdraw link requests of member %d: %w", memberID, err)
	}
	return nil
}

// UsableLinkCode implements core.Store.
func (db *DB) UsableLinkCode(ctx context.Context, rosterID int64, now time.Time) (core.LinkCode, error) {
	var (
		c                 core.LinkCode
		issued, expiresAt int64
	)
	err := db.r.QueryRowContext(ctx, `SELECT id, roster_id, salt, hash, issued_by, issued_at, expires_at FROM link_codes
		WHERE roster_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1`, rosterID, ms(now)).
		Scan(&c.ID, &c.RosterID, &c.Salt, &c.Hash, &c.IssuedBy, &issued, &expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, bot.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("link code of roster %d: %w", rosterID, err)
	}
	c.IssuedAt, c.ExpiresAt = fromMS(issued), fromMS(expiresAt)
	return c, nil
}

// LinkFailures implements core.Store.
func (db *DB) LinkFailures(ctx context.Context, memberID, rosterID int64, since time.Time) (byMember, onEntry int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM link_failures WHERE member_id = ? AND at >= ?),
		(SELECT COUNT(*) FROM link_failures WHERE roster_id = ? AND at >= ?)`,
		memberID, ms(since), rosterID, ms(since)).Scan(&byMember, &onEntry)
	if err != nil {
		return 0, 0, fmt.Errorf("count link failures of member %d: %w", memberID, err)
	}
	return byMember, onEntry, nil
}

const linkRequestCols = `id, member_id, roster_id, chat_id, state, created_at, COALESCE(decided_at, 0), decided_by, reason`

func scanLinkRequest(row rowScanner) (core.LinkRequest, error) {
	var r core.LinkRequest
	var created, decided int64
	err := row.Scan(&r.ID, &r.MemberID, &r.RosterID, &r.ChatID, &r.State, &created, &decided, &r.DecidedBy, &r.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.CreatedAt, r.DecidedAt = fromMS(created), fromMS(decided)
	return r, err
}

// LinkRequest implements core.Store.
func (db *DB) LinkRequest(ctx context.Context, id int64) (core.LinkRequest, error) {
	return scanLinkRequest(db.r.QueryRowContext(ctx, `SELECT `+linkRequestCols+` FROM link_requests WHERE id = ?`, id))
}

// PendingLinkRequestOf implements core.Store.
func (db *DB) PendingLinkRequestOf(ctx context.Context, memberID int64) (core.LinkRequest, error) {
	return scanLinkRequest(db.r.QueryRowContext(ctx, `SELECT `+linkRequestCols+` FROM link_requests WHERE member_id = ? AND state = 'pending'`, memberID))
}

// PendingLinkRequests implements core.Store.
func (db *DB) PendingLinkRequests(ctx context.Context, unitIDs []int64) ([]core.LinkRequest, error) {
	var rows *sql.Rows
	var err error
	switch {
	case unitIDs == nil:
		rows, err = db.r.QueryContext(ctx, `SELECT `+linkRequestCols+` FROM link_requests WHERE state = 'pending' ORDER BY id`)
	case len(unitIDs) == 0:
		return nil, nil
	default:
		rows, err = db.r.QueryContext(ctx, `SELECT `+linkRequestCols+` FROM link_requests WHERE state = 'pending'
			AND roster_id IN (SELECT id FROM roster WHERE unit_id IN (`+placeholders(len(unitIDs))+`)) ORDER BY id`, int64Args(unitIDs)...)
	}
	if err != nil {
		return nil, fmt.Errorf("pending link requests: %w", err)
	}
	return collect(rows, scanLinkRequest)
}

// LinksOfRoster implements core.Store.
func (db *DB) LinksOfRoster(ctx context.Context, rosterIDs []int64) (map[int64][]core.Link, error) {
	out := map[int64][]core.Link{}
	if len(rosterIDs) == 0 {
		return out, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+memberCols+`, link_method, COALESCE(linked_at, 0) FROM members
		WHERE roster_id IN (`+placeholders(len(rosterIDs))+`) ORDER BY id`, int64Args(rosterIDs)...)
	if err != nil {
		return nil, fmt.Errorf("links of roster entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l core.Link
		var at int64
		if err := rows.Scan(&l.Member.ID, &l.Member.Platform, &l.Member.ExternalID, &l.Member.Name, &l.Member.RosterID, &l.Method, &at); err != nil {
			return nil, err
		}
		l.At = fromMS(at)
		out[l.Member.RosterID] = append(out[l.Member.RosterID], l)
	}
	return out, rows.Err()
}
