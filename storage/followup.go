package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/meetings"
)

// The follow-up feature's statements: the tasks (open check-in sessions,
// relays with a target unit), who has done them, the identities and
// private chats of the expected, and the reminder rounds.
var (
	_ followup.Store = (*DB)(nil)
	_ followup.Tx    = (*Tx)(nil)
	_ meetings.Store = (*DB)(nil)
)

const (
	checkinTaskCols = `'checkin', s.id, s.seq, s.chat_id, c.platform, s.title, COALESCE(s.unit_id, 0), s.opened_by, s.opened_at,
		s.deadline, s.ends_at, s.closed_at IS NOT NULL, 0, 0, s.code != '', '', s.expect_titles FROM checkin_sessions s JOIN chats c ON c.id = s.chat_id`
	relayTaskCols = `'relay', r.id, r.seq, r.chat_id, c.platform, r.title, COALESCE(r.target_unit, 0), r.started_by, r.created_at,
		r.until, r.until, r.closed_at IS NOT NULL, r.cap, (SELECT COUNT(*) FROM relay_entries e WHERE e.relay_id = r.id), 0, '', ''
		FROM relays r JOIN chats c ON c.id = r.chat_id`
	// A study task's Except: the units of the other groups the same item
	// was pushed to (the feature keeps those below the task's own).
	studyTaskCols = `'study', t.id, t.item_id, t.chat_id, c.platform, i.title, COALESCE(c.unit_id, 0), 0, t.pushed_at,
		t.deadline, t.deadline, 0, 0, 0, 0, COALESCE((SELECT group_concat(c2.unit_id) FROM study_tasks t2 JOIN chats c2 ON c2.id = t2.chat_id
			WHERE t2.item_id = t.item_id AND t2.id != t.id AND c2.unit_id IS NOT NULL), ''), ''
		FROM study_tasks t JOIN chats c ON c.id = t.chat_id JOIN content_items i ON i.id = t.item_id`
)

func scanTask(row rowScanner) (followup.Task, error) {
	var (
		t                         followup.Task
		kind                      string
		created, deadline, closes int64
		except, titles            string
	)
	err := row.Scan(&kind, &t.ID, &t.Seq, &t.ChatID, &t.Platform, &t.Title, &t.Unit, &t.Owner, &created, &deadline, &closes, &t.Closed, &t.Cap, &t.Taken, &t.NeedsCode, &except, &titles)
	if errors.Is(err, sql.ErrNoRows) {
		return t, bot.ErrNotFound
	}
	if titles != "" {
		t.Titles = strings.Split(titles, ",")
	}
	for _, u := range strings.Split(except, ",") {
		if id, err := strconv.ParseInt(u, 10, 64); err == nil {
			t.Except = append(t.Except, id)
		}
	}
	t.Kind, t.Created = followup.Kind(kind), fromMS(created)
	if deadline != 0 {
		t.Deadline = fromMS(deadline)
	}
	if closes != 0 {
		t.Closes = fromMS(closes)
	}
	return t, err
}

// OpenTasks lists the check-in sessions not ended at now and the relays
// with a target unit still open at now.
func (db *DB) OpenTasks(ctx context.Context, now time.Time) ([]followup.Task, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+checkinTaskCols+` WHERE s.closed_at IS NULL AND s.ends_at > ?1 AND s.unit_id IS NOT NULL
		UNION ALL SELECT `+relayTaskCols+` WHERE r.closed_at IS NULL AND r.target_unit IS NOT NULL AND (r.until = 0 OR r.until > ?1)
		UNION ALL SELECT `+studyTaskCols+` WHERE t.deadline > ?1 AND c.unit_id IS NOT NULL AND c.active = 1`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("read open tasks: %w", err)
	}
	return collect(rows, scanTask)
}

// ClosedCheckins lists the sessions bound to a unit that ended at or after
// since.
func (db *DB) ClosedCheckins(ctx context.Context, since time.Time) ([]followup.Task, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+checkinTaskCols+` WHERE s.closed_at >= ? AND s.unit_id IS NOT NULL`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("read ended sessions: %w", err)
	}
	return collect(rows, scanTask)
}

// CheckinsExpecting lists the ended sessions of the units opened at or
// before upTo, the latest first, at most limit: the latest limit of each
// unit along its index, merged.
func (db *DB) CheckinsExpecting(ctx context.Context, unitIDs []int64, upTo time.Time, limit int) ([]followup.Task, error) {
	var out []followup.Task
	for _, u := range unitIDs {
		rows, err := db.r.QueryContext(ctx, `SELECT `+checkinTaskCols+` WHERE s.unit_id = ? AND s.opened_at <= ? AND s.closed_at IS NOT NULL
			ORDER BY s.opened_at DESC LIMIT ?`, u, ms(upTo), limit)
		if err != nil {
			return nil, fmt.Errorf("read sessions of unit %d: %w", u, err)
		}
		ts, err := collect(rows, scanTask)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	slices.SortStableFunc(out, func(a, b followup.Task) int { return b.Created.Compare(a.Created) })
	return out[:min(limit, len(out))], nil
}

// TaskByNumber is the chat's session or relay numbered seq, or its latest
// for seq 0.
func (db *DB) TaskByNumber(ctx context.Context, kind followup.Kind, chatID, seq int64) (followup.Task, error) {
	var row *sql.Row
	switch kind {
	case followup.KindCheckin:
		row = db.r.QueryRowContext(ctx, `SELECT `+checkinTaskCols+` WHERE s.chat_id = ?1 AND (s.seq = ?2 OR ?2 = 0) ORDER BY s.seq DESC LIMIT 1`, chatID, seq)
	case followup.KindRelay:
		row = db.r.QueryRowContext(ctx, `SELECT `+relayTaskCols+` WHERE r.chat_id = ?1 AND (r.seq = ?2 OR ?2 = 0) ORDER BY r.seq DESC LIMIT 1`, chatID, seq)
	case followup.KindStudy:
		row = db.r.QueryRowContext(ctx, `SELECT `+studyTaskCols+` WHERE t.chat_id = ?1 AND (t.item_id = ?2 OR ?2 = 0) ORDER BY t.pushed_at DESC, t.id DESC LIMIT 1`, chatID, seq)
	default:
		return followup.Task{}, fmt.Errorf("task kind %q: %w", kind, bot.ErrNotFound)
	}
	t, err := scanTask(row)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return t, fmt.Errorf("read %s #%d of chat %d: %w", kind, seq, chatID, err)
	}
	return t, err
}

// TasksDone lists, per task, the roster entries who checked in (or were
// made up), joined or confirmed.
func (db *DB) TasksDone(ctx context.Context, tasks []followup.Task) (map[followup.Key]map[int64]bool, error) {
	byKind := map[followup.Kind][]int64{}
	for _, t := range tasks {
		byKind[t.Kind] = append(byKind[t.Kind], t.ID)
	}
	out := map[followup.Key]map[int64]bool{}
	// add(kind)(sets, err) merges one read's sets into out.
	add := func(kind followup.Kind) func(map[int64]map[int64]bool, error) error {
		return func(sets map[int64]map[int64]bool, err error) error {
			if err != nil {
				return err
			}
			for id, set := range sets {
				k := followup.Key{Kind: kind, ID: id}
				if out[k] == nil {
					out[k] = map[int64]bool{}
				}
				for rid := range set {
					out[k][rid] = true
				}
			}
			return nil
		}
	}
	if ids := byKind[followup.KindCheckin]; len(ids) > 0 {
		if err := add(followup.KindCheckin)(db.idSets(ctx, "read check-ins of tasks", `SELECT c.session_id, COALESCE(c.roster_id, m.roster_id) AS rid FROM checkins c
			LEFT JOIN members m ON m.id = c.member_id AND c.roster_id IS NULL
			WHERE rid IS NOT NULL AND c.session_id IN (`, ids)); err != nil {
			return nil, err
		}
		// A make-up sign-in (补签) is a check-in.
		if err := add(followup.KindCheckin)(db.idSets(ctx, "read make-up sign-ins", `SELECT session_id, roster_id FROM checkin_makeups WHERE session_id IN (`, ids)); err != nil {
			return nil, err
		}
	}
	if ids := byKind[followup.KindRelay]; len(ids) > 0 {
		if err := add(followup.KindRelay)(db.idSets(ctx, "read relay entries of tasks", `SELECT e.relay_id, COALESCE(e.roster_id, m.roster_id) AS rid FROM relay_entries e
			LEFT JOIN members m ON m.id = e.member_id AND e.roster_id IS NULL
			WHERE rid IS NOT NULL AND e.relay_id IN (`, ids)); err != nil {
			return nil, err
		}
	}
	if ids := byKind[followup.KindStudy]; len(ids) > 0 {
		if err := add(followup.KindStudy)(db.idSets(ctx, "read study marks of tasks", `SELECT t.id, m.roster_id FROM study_tasks t
			JOIN study_marks m ON m.item_id = t.item_id WHERE t.id IN (`, ids)); err != nil {
			return nil, err
		}
	}
	if ids := byKind[followup.KindBroadcast]; len(ids) > 0 {
		if err := add(followup.KindBroadcast)(db.idSets(ctx, "read receipts of tasks", `SELECT broadcast_id, roster_id FROM broadcast_receipts WHERE broadcast_id IN (`, ids)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TasksOnLeave lists, per task, the roster entries on approved leave: from
// check-in sessions (relays have no leave).
func (db *DB) TasksOnLeave(ctx context.Context, tasks []followup.Task) (map[followup.Key]map[int64]bool, error) {
	var ids []int64
	for _, t := range tasks {
		if t.Kind == followup.KindCheckin {
			ids = append(ids, t.ID)
		}
	}
	out := map[followup.Key]map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	sets, err := db.idSets(ctx, "read approved leave", `SELECT session_id, roster_id FROM checkin_leaves WHERE status = 'approved' AND session_id IN (`, ids)
	if err != nil {
		return nil, err
	}
	for id, set := range sets {
		out[followup.Key{Kind: followup.KindCheckin, ID: id}] = set
	}
	return out, nil
}

// Identities lists the chat identities linked to the roster entries, each
// with the private chat the bot has with it: the chat whose platform id is
// the member's user id (Telegram, WeChat) or "private:<id>" (the terminal
// and the in-memory platform), as PrivateChatsOf finds it.
func (db *DB) Identities(ctx context.Context, rosterIDs []int64) (map[int64][]followup.Identity, error) {
	out := map[int64][]followup.Identity{}
	if len(rosterIDs) == 0 {
		return out, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT m.roster_id, m.id, m.platform, m.external_id, m.name, COALESCE(MAX(c.id), 0)
		FROM members m LEFT JOIN chats c ON c.platform = m.platform AND c.external_id IN (m.external_id, 'private:' || m.external_id)
			AND c.kind = 'private' AND c.active = 1
		WHERE m.roster_id IN (SELECT value FROM json_each(?)) GROUP BY m.id ORDER BY m.id`, int64JSON(rosterIDs))
	if err != nil {
		return nil, fmt.Errorf("read identities of %d roster entries: %w", len(rosterIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rid int64
			id  followup.Identity
		)
		if err := rows.Scan(&rid, &id.Member.ID, &id.Member.Platform, &id.Member.ExternalID, &id.Member.Name, &id.PrivateChat); err != nil {
			return nil, err
		}
		id.Member.RosterID = rid
		out[rid] = append(out[rid], id)
	}
	return out, rows.Err()
}

// FollowupRuns lists, per task, the offsets whose reminder round is
// recorded.
func (db *DB) FollowupRuns(ctx context.Context, tasks []followup.Task) (map[followup.Key][]time.Duration, error) {
	byKind := map[followup.Kind][]int64{}
	for _, t := range tasks {
		byKind[t.Kind] = append(byKind[t.Kind], t.ID)
	}
	out := map[followup.Key][]time.Duration{}
	for kind, ids := range byKind {
		rows, err := db.r.QueryContext(ctx, `SELECT task_id, offset_s FROM followup_runs WHERE kind = ? AND task_id IN (SELECT value FROM json_each(?))`,
			string(kind), int64JSON(ids))
		if err != nil {
			return nil, fmt.Errorf("read reminder rounds: %w", err)
		}
		for rows.Next() {
			var id, off int64
			if err := rows.Scan(&id, &off); err != nil {
				rows.Close()
				return nil, err
			}
			k := followup.Key{Kind: kind, ID: id}
			out[k] = append(out[k], time.Duration(off)*time.Second)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateFollowup runs fn in one write transaction (see Update).
func (db *DB) UpdateFollowup(ctx context.Context, now time.Time, fn func(followup.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// ClaimRun records a reminder round; false when it is recorded already.
func (t *Tx) ClaimRun(k followup.Key, offset time.Duration, outcome string, reminded int) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO followup_runs(kind, task_id, offset_s, outcome, reminded, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, string(k.Kind), k.ID, int64(offset/time.Second), outcome, reminded, ms(t.now))
	if err != nil {
		return false, fmt.Errorf("record reminder round %s %d %s: %w", k.Kind, k.ID, offset, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// StampRemind records a /remind of task k by hand at now unless the last
// one was less than every before.
func (t *Tx) StampRemind(k followup.Key, now time.Time, every time.Duration) (time.Time, bool, error) {
	var last int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT at FROM followup_reminds WHERE kind = ? AND task_id = ?`, string(k.Kind), k.ID).Scan(&last)
	switch {
	case err == nil && now.Sub(fromMS(last)) < every:
		return fromMS(last), false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, fmt.Errorf("read last /remind of %s %d: %w", k.Kind, k.ID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO followup_reminds(kind, task_id, at) VALUES (?, ?, ?)
		ON CONFLICT (kind, task_id) DO UPDATE SET at = excluded.at`, string(k.Kind), k.ID, ms(now)); err != nil {
		return time.Time{}, false, fmt.Errorf("record /remind of %s %d: %w", k.Kind, k.ID, err)
	}
	return now, true, nil
}

// BroadcastTask is broadcast id as a follow-up task: its target units, the
// groups it was delivered to, and whether it takes confirmations (Closed
// unless it was sent with confirm=yes; Closes window after it went out).
func (db *DB) BroadcastTask(ctx context.Context, id int64, window time.Duration) (followup.Task, error) {
	b, err := db.Broadcast(ctx, id)
	if err != nil {
		return followup.Task{}, err
	}
	sent := b.UpdatedAt
	if b.SendAt.After(sent) {
		sent = b.SendAt
	}
	title := []rune(strings.ReplaceAll(b.Text, "\n", " "))
	if len(title) > 20 {
		title = append(title[:20], '…')
	}
	t := followup.Task{Kind: followup.KindBroadcast, ID: b.ID, Seq: b.ID, ChatID: b.OriginChat, Title: string(title), Units: b.UnitIDs,
		Owner: b.AuthorMember, Created: b.CreatedAt, Closes: sent.Add(window), Closed: !b.Confirm || b.Status != broadcast.StatusSent}
	rows, err := db.r.QueryContext(ctx, `SELECT `+chatCols+` FROM chats WHERE id IN (SELECT chat_id FROM outbox
		WHERE idem_key >= ?1 || ':' AND idem_key < ?1 || ';' AND state = 'delivered') AND kind = 'group' ORDER BY id`, fmt.Sprintf("bc:%d", b.ID))
	if err != nil {
		return t, fmt.Errorf("groups of broadcast %d: %w", id, err)
	}
	if t.Chats, err = collect(rows, scanChat); err != nil {
		return t, err
	}
	if len(t.Chats) > 0 {
		t.Platform = t.Chats[0].Platform
	}
	return t, nil
}

// int64JSON is ids as a JSON array, for json_each.
func int64JSON(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// TaskStamps is, per roster entry, when it did t (checked in, was made
// up, joined, studied, confirmed) and when it was given leave from it,
// each with its note.
func (db *DB) TaskStamps(ctx context.Context, t followup.Task) (done, leave map[int64]followup.Stamp, err error) {
	leave = map[int64]followup.Stamp{}
	switch t.Kind {
	case followup.KindCheckin:
		done, err = db.stampRows(ctx, t, `SELECT COALESCE(c.roster_id, m.roster_id) AS rid, c.at, CASE WHEN c.late THEN '迟到' ELSE '' END FROM checkins c
			LEFT JOIN members m ON m.id = c.member_id AND c.roster_id IS NULL WHERE c.session_id = ?1 AND rid IS NOT NULL
			UNION ALL SELECT roster_id, at, '补签（' || recorder_name || ' 记录）' FROM checkin_makeups WHERE session_id = ?1`)
		if err == nil {
			leave, err = db.stampRows(ctx, t, `SELECT roster_id, COALESCE(decided_at, created_at), reason FROM checkin_leaves
				WHERE status = 'approved' AND session_id = ?1`)
		}
	case followup.KindRelay:
		done, err = db.stampRows(ctx, t, `SELECT COALESCE(e.roster_id, m.roster_id) AS rid, e.joined_at, e.note FROM relay_entries e
			LEFT JOIN members m ON m.id = e.member_id AND e.roster_id IS NULL WHERE e.relay_id = ?1 AND rid IS NOT NULL`)
	case followup.KindStudy:
		done, err = db.stampRows(ctx, t, `SELECT m.roster_id, m.at, '' FROM study_tasks t JOIN study_marks m ON m.item_id = t.item_id WHERE t.id = ?1`)
	case followup.KindBroadcast:
		done, err = db.stampRows(ctx, t, `SELECT roster_id, at, '' FROM broadcast_receipts WHERE broadcast_id = ?1`)
	default:
		err = fmt.Errorf("stamps of task kind %q: %w", t.Kind, bot.ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	return done, leave, nil
}

// stampRows runs one of TaskStamps' statements (roster id, time, note) for
// task t: the earliest row of each roster entry.
func (db *DB) stampRows(ctx context.Context, t followup.Task, query string) (map[int64]followup.Stamp, error) {
	rows, err := db.r.QueryContext(ctx, query, t.ID)
	if err != nil {
		return nil, fmt.Errorf("read stamps of %s %d: %w", t.Kind, t.ID, err)
	}
	defer rows.Close()
	out := map[int64]followup.Stamp{}
	for rows.Next() {
		var (
			rid, at int64
			note    string
		)
		if err := rows.Scan(&rid, &at, &note); err != nil {
			return nil, err
		}
		if prev, ok := out[rid]; !ok || fromMS(at).Before(prev.At) {
			out[rid] = followup.Stamp{At: fromMS(at), Note: note}
		}
	}
	return out, rows.Err()
}
