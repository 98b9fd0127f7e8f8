package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
)

var (
	_ bot.Store       = (*DB)(nil)
	_ core.Store      = (*DB)(nil)
	_ core.SetupStore = (*DB)(nil)
)

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

const chatCols = `id, platform, external_id, kind, title, COALESCE(unit_id, 0), active`

func scanChat(row rowScanner) (bot.Chat, error) {
	var c bot.Chat
	var kind string
	err := row.Scan(&c.ID, &c.Platform, &c.ExternalID, &kind, &c.Title, &c.UnitID, &c.Active)
	c.Kind = bot.ChatKind(kind)
	if errors.Is(err, sql.ErrNoRows) {
		return c, bot.ErrNotFound
	}
	return c, err
}

// EnsureChat implements bot.Store.
func (db *DB) EnsureChat(ctx context.Context, platform, externalID string, kind bot.ChatKind, title string) (bot.Chat, error) {
	if kind == "" {
		kind = bot.Group
	}
	c, err := db.ChatByExternalID(ctx, platform, externalID)
	if err == nil {
		if (title != "" && c.Title != title) || c.Kind != kind {
			if title == "" {
				title = c.Title
			}
			if _, err := db.w.ExecContext(ctx, `UPDATE chats SET title = ?, kind = ? WHERE id = ?`, title, string(kind), c.ID); err != nil {
				db.cache.dropChats()
				return c, fmt.Errorf("update chat %d: %w", c.ID, err)
			}
			c.Title, c.Kind = title, kind
			db.cache.putChat(c)
		}
		return c, nil
	}
	if !errors.Is(err, bot.ErrNotFound) {
		return c, err
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO chats(platform, external_id, kind, title, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(platform, external_id) DO NOTHING`, platform, externalID, string(kind), title, time.Now().UnixMilli()); err != nil {
		return c, fmt.Errorf("create chat %s/%s: %w", platform, externalID, err)
	}
	return db.cachedChat(scanChat(db.w.QueryRowContext(ctx, `SELECT `+chatCols+` FROM chats WHERE platform = ? AND external_id = ?`, platform, externalID)))
}

// cachedChat remembers a chat just read.
func (db *DB) cachedChat(c bot.Chat, err error) (bot.Chat, error) {
	if err == nil {
		db.cache.putChat(c)
	}
	return c, err
}

// Chat implements bot.Store.
func (db *DB) Chat(ctx context.Context, id int64) (bot.Chat, error) {
	if c, ok := db.cache.chatByID(id); ok {
		return c, nil
	}
	return db.cachedChat(scanChat(db.r.QueryRowContext(ctx, `SELECT `+chatCols+` FROM chats WHERE id = ?`, id)))
}

// ChatByExternalID implements bot.Store.
func (db *DB) ChatByExternalID(ctx context.Context, platform, externalID string) (bot.Chat, error) {
	if c, ok := db.cache.chat(platform, externalID); ok {
		return c, nil
	}
	return db.cachedChat(scanChat(db.readRow(ctx, `SELECT `+chatCols+` FROM chats WHERE platform = ? AND external_id = ?`, platform, externalID)))
}

// ActiveGroupsByTitle lists the active group chats with a title, on any platform
// (a configured notice or supervisor chat is named by its title).
func (db *DB) ActiveGroupsByTitle(ctx context.Context, title string) ([]bot.Chat, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+chatCols+` FROM chats WHERE kind = 'group' AND active = 1 AND title = ? ORDER BY id`, title)
	if err != nil {
		return nil, fmt.Errorf("find groups titled %q: %w", title, err)
	}
	return collect(rows, scanChat)
}

// ChatsOfUnits lists the group chats bound to any of the units, including
// chats the bot has left (Active false), so callers can report them.
func (db *DB) ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	q := `SELECT ` + chatCols + ` FROM chats WHERE kind = 'group' AND unit_id IN (` + placeholders(len(unitIDs)) + `) ORDER BY id`
	rows, err := db.r.QueryContext(ctx, q, int64Args(unitIDs)...)
	if err != nil {
		return nil, fmt.Errorf("list chats of units: %w", err)
	}
	return collect(rows, scanChat)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// SetChatActive implements bot.Store.
func (db *DB) SetChatActive(ctx context.Context, id int64, active bool) error {
	defer db.cache.dropChats()
	_, err := db.w.ExecContext(ctx, `UPDATE chats SET active = ? WHERE id = ?`, active, id)
	return err
}

// MigrateChat implements bot.Store. If a chat with the new id already exists
// (the platform reported the new chat first), the two are merged into the old
// one, which keeps its binding and history.
func (db *DB) MigrateChat(ctx context.Context, platform, oldID, newID string) error {
	defer db.cache.dropChats()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var oldChat, newChat int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM chats WHERE platform = ? AND external_id = ?`, platform, oldID).Scan(&oldChat); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil // nothing known under the old id
			}
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id FROM chats WHERE platform = ? AND external_id = ?`, platform, newID).Scan(&newChat)
		if err == nil && newChat != oldChat {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET chat_id = ? WHERE chat_id = ?`, oldChat, newChat); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE chats SET external_id = ? WHERE id = ?`, "migrated:"+newID+":"+fmt.Sprint(newChat), newChat); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE chats SET external_id = ?, active = 1 WHERE id = ?`, newID, oldChat)
		return err
	})
}

// BindChat binds a chat to a unit (0 unbinds).
func (db *DB) BindChat(ctx context.Context, chatID, unitID int64) error {
	defer db.cache.dropChats()
	_, err := db.w.ExecContext(ctx, `UPDATE chats SET unit_id = ? WHERE id = ?`, nullID(unitID), chatID)
	if err != nil {
		return fmt.Errorf("bind chat %d to unit %d: %w", chatID, unitID, err)
	}
	return nil
}

const memberCols = `id, platform, external_id, name, COALESCE(roster_id, 0)`

func scanMember(row rowScanner) (bot.Member, error) {
	var m bot.Member
	err := row.Scan(&m.ID, &m.Platform, &m.ExternalID, &m.Name, &m.RosterID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, bot.ErrNotFound
	}
	return m, err
}

// EnsureMember implements bot.Store. A member already known with that name
// costs no write (and, cached, no read); a new member or a new display name
// is written through the member writer (see memberWriter), which stores the
// members first seen at the same moment in one transaction.
func (db *DB) EnsureMember(ctx context.Context, platform, externalID, name string) (bot.Member, error) {
	m, cached := db.cache.member(platform, externalID)
	err := error(nil)
	if !cached {
		m, err = scanMember(db.readRow(ctx, `SELECT `+memberCols+` FROM members WHERE platform = ? AND external_id = ?`, platform, externalID))
	}
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return m, err
	}
	if err == nil && (name == "" || m.Name == name) {
		if !cached {
			db.cache.putMember(m)
		}
		return m, nil
	}
	m, err = db.memberWriter.Do(ctx, memberSeen{platform: platform, externalID: externalID, name: name, at: time.Now()})
	if err != nil {
		return m, fmt.Errorf("store member %s/%s: %w", platform, externalID, err)
	}
	db.cache.putMember(m)
	return m, nil
}

// memberSeen is a member the engine saw, new or with a new display name.
type memberSeen struct {
	platform, externalID, name string
	at                         time.Time
}

// The member writer's statements, with the batch's members as one JSON
// parameter [[platform, external id, name, created at], ...] (see
// checkinInsertSQL): new members, new display names, then all of them read
// back. Not one upsert: the DO UPDATE of an upsert imposes its ABORT on the
// INSERT OR IGNORE of member_names' triggers (migration 0501), and a name
// a member had before would fail the batch.
const (
	memberInsertSQL = `INSERT OR IGNORE INTO members(platform, external_id, name, created_at)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3 FROM json_each(?) j`
	memberRenameSQL = `UPDATE members SET name = j.value->>2 FROM json_each(?) j
		WHERE members.platform = j.value->>0 AND members.external_id = j.value->>1
		AND j.value->>2 != '' AND members.name != j.value->>2`
	memberReadBackSQL = `SELECT m.id, m.platform, m.external_id, m.name, COALESCE(m.roster_id, 0)
		FROM json_each(?) j JOIN members m ON m.platform = j.value->>0 AND m.external_id = j.value->>1`
)

// newMemberWriter makes the group-commit writer of members: a burst of
// first messages (a whole university checking in after a restart) stores
// its new members in a few transactions instead of one each.
func newMemberWriter(db *DB) *groupCommit[memberSeen, bot.Member] {
	return &groupCommit[memberSeen, bot.Member]{db: db, name: "store members",
		prepare: []string{memberInsertSQL, memberRenameSQL, memberReadBackSQL},
		run: func(ctx context.Context, t *Tx, in []memberSeen) ([]bot.Member, error) {
			rows := make([][]any, len(in))
			for i, m := range in {
				rows[i] = []any{m.platform, m.externalID, m.name, ms(m.at)}
			}
			for _, q := range []string{memberInsertSQL, memberRenameSQL} {
				if _, err := db.execJSON(ctx, t.tx, q, rows); err != nil {
					return nil, err
				}
			}
			found, err := db.queryJSON(ctx, t.tx, memberReadBackSQL, rows)
			if err != nil {
				return nil, err
			}
			byKey := make(map[extKey]bot.Member, len(in))
			stored, err := collect(found, scanMember)
			if err != nil {
				return nil, err
			}
			for _, m := range stored {
				byKey[extKey{m.Platform, m.ExternalID}] = m
			}
			out := make([]bot.Member, len(in))
			for i, m := range in {
				got, ok := byKey[extKey{m.platform, m.externalID}]
				if !ok {
					return nil, fmt.Errorf("member %s/%s not stored", m.platform, m.externalID)
				}
				out[i] = got
			}
			return out, nil
		}}
}

// Member implements bot.Store.
func (db *DB) Member(ctx context.Context, id int64) (bot.Member, error) {
	return scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members WHERE id = ?`, id))
}

// MemberByExternalID finds a member by platform id without creating it.
func (db *DB) MemberByExternalID(ctx context.Context, platform, externalID string) (bot.Member, error) {
	return scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM members WHERE platform = ? AND external_id = ?`, platform, externalID))
}

// MembersOfRoster lists the platform identities linked to a roster entry.
func (db *DB) MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+memberCols+` FROM members WHERE roster_id = ? ORDER BY id`, rosterID)
	if err != nil {
		return nil, fmt.Errorf("members of roster %d: %w", rosterID, err)
	}
	return collect(rows, scanMember)
}

// Units implements bot.Store.
func (db *DB) Units(ctx context.Context) ([]bot.Unit, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, COALESCE(parent_id, 0) FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return collect(rows, func(r rowScanner) (bot.Unit, error) {
		var u bot.Unit
		err := r.Scan(&u.ID, &u.Name, &u.ParentID)
		return u, err
	})
}

// SyncUnits creates or re-parents the configured units. Parents must come
// before their children. Units not in the list are kept. Only what changed
// is written: at a start with the organisation as it was, nothing is (a
// thousand branches written again took a tenth of a second).
func (db *DB) SyncUnits(ctx context.Context, defs []core.UnitDef) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, COALESCE(parent_id, 0) FROM units`)
		if err != nil {
			return fmt.Errorf("read units: %w", err)
		}
		type unit struct{ id, parent int64 }
		known := map[string]unit{}
		for rows.Next() {
			var u unit
			var name string
			if err := rows.Scan(&u.id, &name, &u.parent); err != nil {
				rows.Close()
				return err
			}
			known[name] = u
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range defs {
			var parent int64
			if d.Parent != "" {
				p, ok := known[d.Parent]
				if !ok {
					return fmt.Errorf("unit %s: parent %s: %w", d.Name, d.Parent, sql.ErrNoRows)
				}
				parent = p.id
			}
			if u, ok := known[d.Name]; ok && u.parent == parent {
				continue
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO units(name, parent_id) VALUES (?, ?)
				ON CONFLICT(name) DO UPDATE SET parent_id = excluded.parent_id RETURNING id`, d.Name, nullID(parent)).Scan(&id); err != nil {
				return fmt.Errorf("save unit %s: %w", d.Name, err)
			}
			known[d.Name] = unit{id: id, parent: parent}
		}
		return nil
	})
}

const rosterCols = `id, name, number, unit_id, title, role, phone, COALESCE(left_at, 0)`

// onRoster keeps the entries on the roster now, not those an import took
// off it (kept for history, found by id only).
const onRoster = ` left_at IS NULL `

func scanRoster(row rowScanner) (bot.RosterEntry, error) {
	var r bot.RosterEntry
	var role string
	var left int64
	err := row.Scan(&r.ID, &r.Name, &r.Number, &r.UnitID, &r.Title, &role, &r.Phone, &left)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.Role, r.Left = parseRole(role), fromMS(left)
	return r, err
}

func parseRole(s string) bot.Role {
	for _, r := range []bot.Role{bot.RoleMember, bot.RoleStaff, bot.RoleSecretary, bot.RoleAdmin} {
		if r.String() == s {
			return r
		}
	}
	return bot.RoleMember
}

// RosterEntry implements bot.Store. It finds entries that left the roster
// too (Left set): history names them.
func (db *DB) RosterEntry(ctx context.Context, id int64) (bot.RosterEntry, error) {
	if err := db.checkRosterVersion(ctx); err != nil {
		return bot.RosterEntry{}, err
	}
	if e, ok := db.cache.rosterEntry(id); ok {
		return e, nil
	}
	at := db.cache.rosterVersion()
	e, err := scanRoster(db.readRow(ctx, `SELECT `+rosterCols+` FROM roster WHERE id = ?`, id))
	if err == nil {
		db.cache.putRoster(e, at)
	}
	return e, err
}

// RosterByNumber finds an entry on the roster by 学号/工号.
func (db *DB) RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error) {
	return scanRoster(db.r.QueryRowContext(ctx, `SELECT `+rosterCols+` FROM roster WHERE number = ? AND`+onRoster, number))
}

// RosterByName lists the entries on the roster with a name.
func (db *DB) RosterByName(ctx context.Context, name string) ([]bot.RosterEntry, error) {
	return db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster WHERE name = ? AND`+onRoster+`ORDER BY id`, name)
}

// RosterOfUnits lists the entries on the roster of the units, by unit then
// number.
func (db *DB) RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error) {
	if len(unitIDs) == 0 {
		return nil, nil
	}
	return db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster WHERE unit_id IN (`+placeholders(len(unitIDs))+`) AND`+onRoster+`ORDER BY unit_id, number`, int64Args(unitIDs)...)
}

// RosterWithRole lists the entries on the roster of a role.
func (db *DB) RosterWithRole(ctx context.Context, role bot.Role) ([]bot.RosterEntry, error) {
	return db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster WHERE role = ? AND`+onRoster+`ORDER BY id`, role.String())
}

func (db *DB) rosterQuery(ctx context.Context, q string, args ...any) ([]bot.RosterEntry, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query roster: %w", err)
	}
	return collect(rows, scanRoster)
}

// RosterCount counts roster entries.
func (db *DB) RosterCount(ctx context.Context) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM roster`).Scan(&n)
	return n, err
}

// ImportRoster adds or updates entries by number in one transaction and
// returns how many were added and how many it found already (updated or
// unchanged). It removes nobody (see SyncRoster).
func (db *DB) ImportRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time) (added, updated int, err error) {
	r, err := db.SyncRoster(ctx, entries, at, false)
	return r.Added, r.Updated + r.Unchanged, err
}

// RosterImport is what an import did to the roster.
type RosterImport struct {
	Added     int // new numbers
	Updated   int // known numbers whose name, unit, title or phone changed, or that were back on the roster
	Unchanged int // known numbers as they were
	// Missing are the entries on the roster that the file does not list:
	// taken off it when the import removes missing ones, else left alone.
	Missing []bot.RosterEntry
	Removed int
}

// SyncRoster imports entries (by number) in one transaction: it adds new
// ones, updates changed ones (putting back any an earlier import had taken
// off), and counts the unchanged. Entries on the roster that entries do not
// list are reported as Missing and, with removeMissing, taken off the roster:
// marked with when they left, not deleted, so that history keeps their
// names; they no longer count, link or grant a role.
func (db *DB) SyncRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time, removeMissing bool) (RosterImport, error) {
	defer db.cache.dropRoster()
	var r RosterImport
	err := db.tx(ctx, func(tx *sql.Tx) error {
		listed := make(map[string]bool, len(entries))
		for _, e := range entries {
			listed[e.Number] = true
			var (
				id                       int64
				name, title, role, phone string
				unit                     int64
				left                     sql.NullInt64
			)
			err := tx.QueryRowContext(ctx, `SELECT id, name, unit_id, title, role, phone, left_at FROM roster WHERE number = ?`, e.Number).
				Scan(&id, &name, &unit, &title, &role, &phone, &left)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.ExecContext(ctx, `INSERT INTO roster(name, number, unit_id, title, role, phone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					e.Name, e.Number, e.UnitID, e.Title, e.Role.String(), e.Phone, ms(at)); err != nil {
					return fmt.Errorf("add %s %s: %w", e.Number, e.Name, err)
				}
				r.Added++
			case err != nil:
				return err
			case name == e.Name && unit == e.UnitID && title == e.Title && role == e.Role.String() && phone == e.Phone && !left.Valid:
				r.Unchanged++
			default:
				if _, err := tx.ExecContext(ctx, `UPDATE roster SET name = ?, unit_id = ?, title = ?, role = ?, phone = ?, left_at = NULL, updated_at = ? WHERE id = ?`,
					e.Name, e.UnitID, e.Title, e.Role.String(), e.Phone, ms(at), id); err != nil {
					return fmt.Errorf("update %s %s: %w", e.Number, e.Name, err)
				}
				r.Updated++
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+rosterCols+` FROM roster WHERE`+onRoster+`ORDER BY unit_id, number`)
		if err != nil {
			return fmt.Errorf("read the roster: %w", err)
		}
		all, err := collect(rows, scanRoster)
		if err != nil {
			return fmt.Errorf("read the roster: %w", err)
		}
		for _, e := range all {
			if listed[e.Number] {
				continue
			}
			r.Missing = append(r.Missing, e)
			if !removeMissing {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE roster SET left_at = ?, updated_at = ? WHERE id = ?`, ms(at), ms(at), e.ID); err != nil {
				return fmt.Errorf("take %s %s off the roster: %w", e.Number, e.Name, err)
			}
			r.Removed++
		}
		return nil
	})
	return r, err
}

// LinkedRosterIDs returns, of the given roster entries, those linked to any
// platform identity.
func (db *DB) LinkedRosterIDs(ctx context.Context, rosterIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(rosterIDs) == 0 {
		return out, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT roster_id FROM members WHERE roster_id IN (`+placeholders(len(rosterIDs))+`)`, int64Args(rosterIDs)...)
	if err != nil {
		return nil, fmt.Errorf("linked roster entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
