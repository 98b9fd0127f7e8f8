package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// This file makes synthetic organisations and years of history directly in
// SQL, for the benchmarks and the measurement harness (a university of
// 20,000 members with a year of history takes seconds, 100 years a minute
// or two). It is not for feature code.

// Population is a synthetic organisation: every unit gets one group chat
// bound to it and PerUnit roster entries, the first of them its secretary
// (书记). Roster numbers, chat ids and member ids follow FixtureNumber,
// FixtureChatID and FixtureMemberID, so a test can address them.
type Population struct {
	Platform string  // of the chats and members, e.g. "telegram"
	Units    []int64 // unit ids; unit i gets chat FixtureChatID(i)
	PerUnit  int
	// Linked is how many of each unit's entries (from the first) have a
	// platform identity linked to them: 0, 1 (the secretary) or PerUnit.
	Linked int
	// Chats makes the group chats; Private gives every linked member a
	// private chat with the bot.
	Chats, Private bool
	At             time.Time // creation time of everything made
}

// FixtureChatID is the platform id of unit i's group chat in a Population.
func FixtureChatID(unit int) int64 { return -1_000_000 - int64(unit) }

// FixtureMemberID is the platform id of seat j of unit i's members.
func FixtureMemberID(unit, seat, perUnit int) int64 {
	return 2_000_000 + int64(unit)*int64(perUnit) + int64(seat)
}

// FixtureNumber is the roster number (学号) of seat j of unit i.
func FixtureNumber(unit, seat, perUnit int) string {
	return fmt.Sprintf("S%07d", unit*perUnit+seat)
}

// Populate makes the population p.
func (db *DB) Populate(ctx context.Context, p Population) error {
	units, err := json.Marshal(p.Units)
	if err != nil {
		return err
	}
	at := ms(p.At)
	defer db.cache.dropRoster()
	defer db.cache.dropMembers()
	defer db.cache.dropChats()
	return db.tx(ctx, func(tx *sql.Tx) error {
		steps := []struct {
			what string
			q    string
			args []any
		}{
			{"roster", `WITH RECURSIVE seat(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM seat WHERE j + 1 < ?2)
				INSERT INTO roster(name, number, unit_id, title, role, phone, updated_at)
				SELECT '成员' || printf('%07d', u.key * ?2 + s.j), 'S' || printf('%07d', u.key * ?2 + s.j), u.value,
				       CASE WHEN s.j = 0 THEN '书记' ELSE '党员' END, CASE WHEN s.j = 0 THEN 'secretary' ELSE 'member' END, '', ?3
				FROM json_each(?1) u, seat s ORDER BY u.key, s.j`, []any{string(units), p.PerUnit, at}},
			{"members", `INSERT INTO members(platform, external_id, name, roster_id, linked_at, created_at)
				SELECT ?1, CAST(2000000 + k AS TEXT), name, id, ?4, ?4 FROM
				  (SELECT id, name, CAST(substr(number, 2) AS INTEGER) AS k FROM roster WHERE number >= 'S' AND number < 'T')
				WHERE k % ?2 < ?3 ORDER BY k`, []any{p.Platform, p.PerUnit, p.Linked, at}},
			{"group chats", `INSERT INTO chats(platform, external_id, kind, title, unit_id, active, created_at)
				SELECT ?1, CAST(-1000000 - u.key AS TEXT), 'group', un.name || '群', u.value, 1, ?3
				FROM json_each(?2) u JOIN units un ON un.id = u.value ORDER BY u.key`, []any{p.Platform, string(units), at}},
		}
		if !p.Chats {
			steps = steps[:2]
		}
		if p.Private {
			steps = append(steps,
				struct {
					what string
					q    string
					args []any
				}{"private chats", `INSERT INTO chats(platform, external_id, kind, title, active, created_at)
					SELECT platform, external_id, 'private', name, 1, ?2 FROM members WHERE platform = ?1 AND roster_id IS NOT NULL ORDER BY id`,
					[]any{p.Platform, at}},
				struct {
					what string
					q    string
					args []any
				}{"private chat records", `INSERT INTO private_chats(member_id, chat_id, updated_at)
					SELECT m.id, c.id, ?2 FROM members m JOIN chats c ON c.platform = m.platform AND c.external_id = m.external_id
					WHERE m.platform = ?1 AND m.roster_id IS NOT NULL`, []any{p.Platform, at}})
		}
		for _, s := range steps {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("populate %s: %w", s.what, err)
			}
		}
		return nil
	})
}

// History is synthetic history for a Population (made first, on the same
// platform, with every member linked): Years years of it, ending at End,
// each year with the volumes below.
type History struct {
	Platform string
	End      time.Time
	Years    int
	PerUnit  int // as in the Population
	// Per group and year:
	Sessions     int // check-in sessions, each with Attend check-ins
	Attend       int
	Relays       int // relays, each with RelayEntries entries
	RelayEntries int
	// Per year, for the whole organisation:
	Tickets    int // filed by Filers members of each unit (seats 1..Filers); one in 20 is never answered
	Filers     int
	Broadcasts int // each to every group
	Replies    int // other messages (command replies) in the groups
	Pushes     int // occurrences of the push schedule PushName
	PushName   string
	// Departments handle the tickets, in turn.
	Departments []int64
}

// YearOfHistory is one year of a 20,000-member university's life at the
// volumes the growth benchmark uses (for PerUnit members per group). One
// member of each group files its tickets (25 a year in 400 groups), so that
// /mytickets lists its full 20 at every scale and only the history behind
// them grows.
func YearOfHistory(platform string, end time.Time, perUnit int, departments []int64) History {
	return History{Platform: platform, End: end, Years: 1, PerUnit: perUnit,
		Sessions: 6, Attend: perUnit * 4 / 5, Relays: 2, RelayEntries: perUnit * 3 / 5,
		Tickets: 10_000, Filers: 1, Broadcasts: 20, Replies: 5_000, Pushes: 250, PushName: "fixture-daily",
		Departments: departments}
}

// GenerateHistory writes h into the database, in transactions of a bounded
// size.
func (db *DB) GenerateHistory(ctx context.Context, h History) error {
	const year = 365 * 24 * time.Hour
	end := ms(h.End)
	start := end - int64(h.Years)*year.Milliseconds()
	span := end - start - 2*24*3600*1000 // leave the last two days free
	depts, err := json.Marshal(h.Departments)
	if err != nil {
		return err
	}
	if len(h.Departments) == 0 {
		return fmt.Errorf("history: no departments")
	}
	args := func(extra ...any) []any {
		return append([]any{sql.Named("p", h.Platform), sql.Named("start", start), sql.Named("span", span),
			sql.Named("per", h.PerUnit), sql.Named("years", h.Years)}, extra...)
	}
	// Working tables: the groups with their secretaries, the members with
	// their seats, the filers and the departments.
	maxSeq := max(h.Sessions*h.Years, h.Relays*h.Years, h.Broadcasts*h.Years, h.Pushes*h.Years, 1)
	setup := []struct {
		q    string
		args []any
	}{
		{`DROP TABLE IF EXISTS temp.fx_groups`, nil}, {`DROP TABLE IF EXISTS temp.fx_members`, nil}, {`DROP TABLE IF EXISTS temp.fx_filers`, nil},
		{`DROP TABLE IF EXISTS temp.fx_depts`, nil}, {`DROP TABLE IF EXISTS temp.fx_seq`, nil},
		{`CREATE TEMP TABLE fx_members AS SELECT m.id AS member_id, r.id AS roster_id, r.name AS name, r.unit_id AS unit_id,
			CAST(substr(r.number, 2) AS INTEGER) % @per AS seat FROM members m JOIN roster r ON r.id = m.roster_id
			WHERE m.platform = @p AND r.number >= 'S' AND r.number < 'T'`, args()},
		{`CREATE INDEX temp.fx_members_seat ON fx_members(unit_id, seat)`, nil},
		{`CREATE TEMP TABLE fx_groups AS SELECT c.id AS chat_id, c.unit_id AS unit_id, row_number() OVER (ORDER BY c.id) - 1 AS n,
			(SELECT member_id FROM fx_members f WHERE f.unit_id = c.unit_id AND f.seat = 0) AS secretary
			FROM chats c WHERE c.platform = @p AND c.kind = 'group' AND c.unit_id IS NOT NULL`, args()},
		{`CREATE TEMP TABLE fx_filers AS SELECT f.*, g.chat_id, row_number() OVER (ORDER BY f.member_id) - 1 AS n,
			(SELECT p.chat_id FROM private_chats p WHERE p.member_id = f.member_id) AS private_chat
			FROM fx_members f JOIN fx_groups g ON g.unit_id = f.unit_id WHERE f.seat BETWEEN 1 AND ?`, []any{h.Filers}},
		{`CREATE TEMP TABLE fx_depts AS SELECT key AS n, value AS unit_id FROM json_each(?)`, []any{string(depts)}},
		{`CREATE TEMP TABLE fx_seq(i INTEGER PRIMARY KEY)`, nil},
		{`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?) INSERT INTO fx_seq SELECT i FROM s`, []any{maxSeq}},
	}
	for _, s := range setup {
		if _, err := db.w.ExecContext(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("history setup: %w", err)
		}
	}
	var groups, filers int
	if err := db.w.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM temp.fx_groups), (SELECT COUNT(*) FROM temp.fx_filers)`).Scan(&groups, &filers); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if groups == 0 {
		return fmt.Errorf("history: no groups with linked members on %s (Populate first)", h.Platform)
	}
	type step struct {
		what string
		q    string
		args []any
	}
	var steps []step
	// Check-in sessions, spread evenly over the years, each group's at its
	// own offset; every one closed, with its check-ins, announcement,
	// superseded running count and result.
	nSessions := h.Sessions * h.Years
	steps = append(steps, step{"check-in sessions", `INSERT INTO checkin_sessions(chat_id, seq, unit_id, title, code, expected, opened_by, opened_at, deadline, ends_at, closed_at)
		SELECT chat_id, i + 1, unit_id, '第' || (i + 1) || '次组织生活', '', @per, secretary, t, t + 1800000, t + 1800000, t + 1800000
		FROM (SELECT g.chat_id, g.unit_id, g.secretary, s.i, @start + (s.i * @span) / @n + (g.n * 60000) % (@span / @n) AS t
		      FROM temp.fx_groups g, temp.fx_seq s WHERE s.i < @n) ORDER BY t`, args(sql.Named("n", nSessions))})
	// Check-ins in chunks of sessions (the biggest table).
	steps = append(steps, step{"check-ins", `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late)
		SELECT s.id, f.member_id, f.roster_id, f.name, s.opened_at + f.seat * 7000, 0
		FROM checkin_sessions s JOIN temp.fx_members f ON f.unit_id = s.unit_id AND f.seat < @attend
		WHERE s.id > @lo AND s.id <= @hi ORDER BY s.id, f.seat`, args(sql.Named("attend", h.Attend))})
	nRelays := h.Relays * h.Years
	steps = append(steps,
		step{"relays", `INSERT INTO relays(chat_id, seq, title, cap, until, started_by, created_at, closed_at)
			SELECT chat_id, i + 1, '周六志愿服务' || (i + 1), 0, t + 86400000, secretary, t, t + 86400000
			FROM (SELECT g.chat_id, g.secretary, s.i, @start + (s.i * @span) / @n + 3600000 + (g.n * 60000) % (@span / @n) AS t
			      FROM temp.fx_groups g, temp.fx_seq s WHERE s.i < @n) ORDER BY t`, args(sql.Named("n", nRelays))},
		step{"relay entries", `INSERT INTO relay_entries(relay_id, member_id, roster_id, name, note, joined_at, updated_at)
			SELECT r.id, f.member_id, f.roster_id, f.name, '', r.created_at + f.seat * 60000, r.created_at + f.seat * 60000
			FROM relays r JOIN temp.fx_groups g ON g.chat_id = r.chat_id JOIN temp.fx_members f ON f.unit_id = g.unit_id AND f.seat < @entries
			ORDER BY r.id, f.seat`, args(sql.Named("entries", h.RelayEntries))})
	nTickets := h.Tickets * h.Years
	if filers > 0 && nTickets > 0 {
		steps = append(steps,
			step{"tickets", `WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i + 1 < @n)
				INSERT INTO tickets(filer_member_id, filer_roster_id, filer_name, filer_unit_id, anonymous, chat_id, text, category, keyword,
				  department_id, decided_by, routed_at, state, created_at, first_due_at, due_at, remind_at, reminded_at, escalated_at, first_response_at, closed_at)
				SELECT f.member_id, f.roster_id, f.name, f.unit_id, 0, COALESCE(f.private_chat, f.chat_id),
				  '建议第' || t.i || '号：食堂晚餐的供应时间太早，希望能延长到七点，方便晚课后的同学。', '学生事务', '食堂',
				  d.unit_id, 'keywords', c + 1000, CASE t.i % 20 WHEN 0 THEN 'open' WHEN 1 THEN 'answered' ELSE 'closed' END,
				  c, c + 172800000, c + 172800000, c + 138600000,
				  CASE WHEN t.i % 20 = 0 THEN c + 138600000 END,
				  CASE WHEN t.i % 20 = 0 THEN c + 176400000 END,
				  CASE WHEN t.i % 20 != 0 THEN c + 86400000 END,
				  CASE WHEN t.i % 20 > 1 THEN c + 90000000 END
				FROM (SELECT i, @start + (i * @span) / @n AS c FROM t) t
				JOIN temp.fx_filers f ON f.n = t.i % @filers
				JOIN temp.fx_depts d ON d.n = t.i % @depts ORDER BY t.i`,
				args(sql.Named("n", nTickets), sql.Named("filers", filers), sql.Named("depts", len(h.Departments)))},
			step{"ticket events", `INSERT INTO ticket_events(ticket_id, at, kind, by_filer, actor_roster_id, actor_name, text)
				SELECT id, at, kind, kind = 'filed', NULL, CASE WHEN kind = 'filed' THEN '' ELSE '工作人员' END, txt FROM (
				  SELECT id, created_at AS at, 'filed' AS kind, text AS txt, 0 AS o FROM tickets
				  UNION ALL SELECT id, first_response_at, 'answer', '已转食堂管理中心，晚餐供应时间将延长。', 1 FROM tickets WHERE first_response_at IS NOT NULL
				  UNION ALL SELECT id, closed_at, 'close', '', 2 FROM tickets WHERE closed_at IS NOT NULL)
				ORDER BY id, o`, nil})
	}
	nBroadcasts := h.Broadcasts * h.Years
	if nBroadcasts > 0 {
		steps = append(steps,
			step{"broadcasts", `INSERT INTO broadcasts(author_member, author_name, origin_chat, target, unit_ids, review_unit, levels, level, text, send_at, status, chats, created_at, updated_at)
				SELECT (SELECT secretary FROM temp.fx_groups ORDER BY n LIMIT 1), '书记', (SELECT chat_id FROM temp.fx_groups ORDER BY n LIMIT 1),
				  '全校', '', NULL, 0, 0, '请各支部于本周五前报送党员信息统计表（第' || (i + 1) || '期）。', NULL, 'sent',
				  (SELECT COUNT(*) FROM temp.fx_groups), t, t
				FROM (SELECT i, @start + (i * @span) / @n + 7200000 AS t FROM temp.fx_seq WHERE i < @n) ORDER BY t`, args(sql.Named("n", nBroadcasts))},
			step{"broadcast events", `INSERT INTO broadcast_events(broadcast_id, at, actor_member, actor_name, action, level, level_name, note)
				SELECT id, created_at, author_member, author_name, 'created', 0, '', '' FROM broadcasts
				UNION ALL SELECT id, created_at, NULL, '', 'sent', 0, '', chats FROM broadcasts ORDER BY 1`, nil})
	}
	nReplies := h.Replies * h.Years
	// The outbox: every message of the history, delivered (a running
	// count superseded), in the order it was queued.
	steps = append(steps, step{"outbox", `WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i + 1 < @replies)
		INSERT INTO outbox(chat_id, platform, text, buttons, idem_key, merge_key, bulk, not_before, state, platform_msg_id, created_at, delivered_at)
		SELECT chat_id, @p, text, '', idem, mk, bulk, at, state, CASE WHEN state = 'delivered' THEN '1' ELSE '' END, at, CASE WHEN state = 'delivered' THEN at + 800 END FROM (
		  SELECT chat_id, '「' || title || '」签到开始，截止 30 分钟后；应到 ' || expected || ' 人。' AS text, NULL AS idem, '' AS mk, 0 AS bulk, opened_at AS at, 'delivered' AS state FROM checkin_sessions
		  UNION ALL SELECT chat_id, '「' || title || '」已签到 ' || (expected / 2) || '/' || expected, NULL, 'checkin:' || id, 0, opened_at + 60000, 'superseded' FROM checkin_sessions
		  UNION ALL SELECT chat_id, '「' || title || '」已签到 ' || expected || '/' || expected, NULL, 'checkin:' || id, 0, opened_at + 120000, 'delivered' FROM checkin_sessions
		  UNION ALL SELECT chat_id, '签到结束：「' || title || '」实到 ' || expected || ' 人，迟到 0 人，缺席 0 人。', NULL, '', 0, closed_at, 'delivered' FROM checkin_sessions
		  UNION ALL SELECT chat_id, '接龙「' || title || '」已开始，发送 /join 报名。', NULL, 'relay:' || id, 0, created_at, 'delivered' FROM relays
		  UNION ALL SELECT chat_id, '已收到建议 #' || id || '，将于两个工作日内答复。', NULL, '', 0, created_at, 'delivered' FROM tickets
		  UNION ALL SELECT chat_id, '建议 #' || id || ' 的答复：已转食堂管理中心，晚餐供应时间将延长。', NULL, '', 0, first_response_at, 'delivered' FROM tickets WHERE first_response_at IS NOT NULL
		  UNION ALL SELECT g.chat_id, b.text, 'bc:' || b.id || ':' || g.chat_id, '', 1, b.created_at, 'delivered' FROM broadcasts b, temp.fx_groups g
		  UNION ALL SELECT g.chat_id, '你是 成员，党员。', NULL, '', 0, @start + (r.i * @span) / @replies, 'delivered' FROM r JOIN temp.fx_groups g ON g.n = r.i % (SELECT COUNT(*) FROM temp.fx_groups)
		) ORDER BY at`, args(sql.Named("replies", max(nReplies, 1)))})
	if h.Pushes > 0 && h.PushName != "" {
		steps = append(steps,
			step{"push schedule", `INSERT OR IGNORE INTO push_schedules(name, first_seen) VALUES (?, ?)`, []any{h.PushName, start / 1000}},
			step{"push runs", `INSERT OR IGNORE INTO push_runs(schedule, occurrence, status, manual, skipped, chats, started_at, done_at)
				SELECT @name, (@start + (i * @span) / @n) / 1000, 'done', 0, 0, 20, @start + (i * @span) / @n, @start + (i * @span) / @n + 5000
				FROM temp.fx_seq WHERE i < @n`, args(sql.Named("name", h.PushName), sql.Named("n", h.Pushes*h.Years))})
	}
	for _, s := range steps {
		if s.what == "check-ins" {
			if err := db.chunked(ctx, `SELECT COALESCE(MAX(id), 0) FROM checkin_sessions`, 20_000, s.q, s.args); err != nil {
				return fmt.Errorf("history %s: %w", s.what, err)
			}
			continue
		}
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, s.q, s.args...)
			return err
		}); err != nil {
			return fmt.Errorf("history %s: %w", s.what, err)
		}
	}
	for _, q := range []string{`DROP TABLE temp.fx_groups`, `DROP TABLE temp.fx_members`, `DROP TABLE temp.fx_filers`, `DROP TABLE temp.fx_depts`,
		`DROP TABLE temp.fx_seq`} {
		if _, err := db.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("history: %s: %w", q, err)
		}
	}
	return db.CheckpointAll(ctx)
}

// CheckpointAll copies the whole WAL into the database file and empties it,
// waiting for a checkpoint the checkpointer may be running: afterwards the
// file alone holds everything (to copy it, say).
func (db *DB) CheckpointAll(ctx context.Context) error {
	for {
		var busy, log, done int
		if err := db.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// chunked runs q (with named parameters @lo and @hi) over id ranges of size
// step up to the value maxQ reads, one transaction per range.
func (db *DB) chunked(ctx context.Context, maxQ string, step int64, q string, args []any) error {
	var hi int64
	if err := db.w.QueryRowContext(ctx, maxQ).Scan(&hi); err != nil {
		return err
	}
	for lo := int64(0); lo < hi; lo += step {
		a := append(append([]any{}, args...), sql.Named("lo", lo), sql.Named("hi", lo+step))
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, q, a...)
			return err
		}); err != nil {
			return fmt.Errorf("ids %d-%d: %w", lo, lo+step, err)
		}
	}
	return nil
}

// FixtureVersion names the shape of Populate and GenerateHistory: caches of
// generated databases are keyed by it, so a change here makes them anew.
const FixtureVersion = 2
