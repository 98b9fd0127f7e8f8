package followup_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/followup"
)

const (
	benchTasks    = 2000
	benchExpected = 50 // roster entries per task's unit: 100,000 in all
)

// benchDeadline is when every relay of the bench world is due.
var benchDeadline = time.Date(2026, 11, 27, 18, 0, 0, 0, commandtest.Shanghai)

// benchWorld seeds 2,000 units below 第一党支部, each with 50 roster entries
// linked to chat identities, a bound group and an open relay for the unit
// (for=) due at benchDeadline that half of them joined; a quarter of the
// others talk to the bot privately. The rows go in with plain SQL in one
// transaction: a world this size would take minutes through the commands.
func benchWorld(b *testing.B) (*commandtest.Harness, *sql.DB) {
	b.Helper()
	var f *followup.Feature
	cfg := config(b)
	h := commandtest.New(b, commandtest.Options{Config: cfg, Caps: caps, Features: func(h *commandtest.Harness) []bot.Feature {
		f = followup.New(h.Engine, h.DB, benchOptions(h))
		return []bot.Feature{f}
	}})
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(h.Dir, "branchbot.db")+"?_busy_timeout=10000&_journal_mode=WAL")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	ctx := context.Background()
	branch, _ := h.Engine.Units().ByName("第一党支部")
	created := benchDeadline.Add(-72 * time.Hour).UnixMilli()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) int64 {
		res, err := tx.Exec(q, args...)
		if err != nil {
			b.Fatal(q, err)
		}
		id, _ := res.LastInsertId()
		return id
	}
	for u := range benchTasks {
		unit := exec(`INSERT INTO units(name, parent_id) VALUES (?, ?)`, fmt.Sprintf("小组%04d", u), branch.ID)
		chat := exec(`INSERT INTO chats(platform, external_id, kind, title, unit_id, created_at) VALUES ('terminal', ?, 'group', ?, ?, ?)`,
			fmt.Sprintf("g%04d", u), fmt.Sprintf("小组%04d群", u), unit, created)
		var members []int64
		for m := range benchExpected {
			roster := exec(`INSERT INTO roster(name, number, unit_id, title, role, updated_at) VALUES (?, ?, ?, '党员', 'member', ?)`,
				fmt.Sprintf("成员%04d-%02d", u, m), fmt.Sprintf("N%04d%02d", u, m), unit, created)
			ext := fmt.Sprintf("m%04d-%02d", u, m)
			member := exec(`INSERT INTO members(platform, external_id, name, roster_id, linked_at, created_at) VALUES ('terminal', ?, ?, ?, ?, ?)`,
				ext, fmt.Sprintf("成员%04d-%02d", u, m), roster, created, created)
			members = append(members, member)
			if m%2 == 1 && m%4 == 1 {
				exec(`INSERT INTO chats(platform, external_id, kind, title, created_at) VALUES ('terminal', ?, 'private', ?, ?)`, "private:"+ext, ext, created)
			}
			_ = roster
		}
		relay := exec(`INSERT INTO relays(chat_id, seq, title, until, started_by, created_at, target_unit) VALUES (?, 1, '党费交纳', ?, ?, ?, ?)`,
			chat, benchDeadline.UnixMilli(), members[0], created, unit)
		for m := 0; m < benchExpected; m += 2 {
			exec(`INSERT INTO relay_entries(relay_id, member_id, roster_id, name, joined_at, updated_at)
				SELECT ?, id, roster_id, name, ?, ? FROM members WHERE id = ?`, relay, created, created, members[m])
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := h.Engine.ReloadUnits(ctx); err != nil {
		b.Fatal(err)
	}
	return h, raw
}

func benchOptions(h *commandtest.Harness) followup.Options {
	start, end := h.Config.Followup.QuietHours()
	return followup.Options{
		Offsets: map[followup.Kind][]time.Duration{followup.KindRelay: {-24 * time.Hour, -time.Hour}},
		Quiet:   followup.Quiet{Start: start, End: end}, Chunk: 20,
	}
}

// BenchmarkFollowupTick: the follow-up tick over 2,000 relays × 50
// expected members, beside a bare query of the same rows in the same run.
//
//   - due: every relay's hour-before round is due (the day-before one is
//     skipped): the tick reads the tasks, the roster, who joined, the
//     identities and private chats of the 50,000 who have not, records
//     4,000 rounds and queues the reminders (12,000 private, 2,000×2
//     group messages). Each iteration starts from no rounds and no
//     reminders.
//   - idle: every round is recorded; the tick finds nothing to do.
//   - bare-query: one SELECT of the expected members who have not joined,
//     with their identities and private chats.
func BenchmarkFollowupTick(b *testing.B) {
	h, raw := benchWorld(b)
	ctx := context.Background()
	h.Clock.Set(benchDeadline.Add(-time.Hour))
	reset := func() {
		for _, q := range []string{`DELETE FROM followup_runs`, `DELETE FROM outbox WHERE idem_key LIKE 'fu:%'`} {
			if _, err := raw.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("due", func(b *testing.B) {
		queued := 0
		for b.Loop() {
			b.StopTimer()
			reset()
			b.StartTimer()
			h.Engine.Tick(ctx)
			b.StopTimer()
			if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE idem_key LIKE 'fu:%'`).Scan(&queued); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(queued), "reminders")
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
	})
	b.Run("idle", func(b *testing.B) {
		h.Engine.Tick(ctx) // the rounds are recorded
		for b.Loop() {
			h.Engine.Tick(ctx)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
	})
	b.Run("bare-query", func(b *testing.B) {
		rows := 0
		for b.Loop() {
			rows = 0
			rs, err := raw.Query(`SELECT r.id, ro.id, ro.name, m.id, m.platform, COALESCE(c.id, 0)
				FROM relays r JOIN roster ro ON ro.unit_id = r.target_unit AND ro.left_at IS NULL
				LEFT JOIN relay_entries e ON e.relay_id = r.id AND e.roster_id = ro.id
				LEFT JOIN members m ON m.roster_id = ro.id
				LEFT JOIN chats c ON c.platform = m.platform AND c.external_id = 'private:' || m.external_id AND c.kind = 'private'
				WHERE r.closed_at IS NULL AND r.target_unit IS NOT NULL AND e.id IS NULL`)
			if err != nil {
				b.Fatal(err)
			}
			for rs.Next() {
				var rid, roid, mid, cid int64
				var name, platform string
				if err := rs.Scan(&rid, &roid, &name, &mid, &platform, &cid); err != nil {
					b.Fatal(err)
				}
				rows++
			}
			rs.Close()
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
	})
}
