package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/branchbot/branchbot/bot"
)

// memo remembers the chat, member and roster rows the engine looks up on
// every incoming message, so that a busy group costs no reads per message.
//
// It stays exact: every write to those tables, from any code, goes through
// the single writer connection, whose SQLite update hook empties the memo
// and bumps its generation (see Open). A row is remembered only when it was
// read on the writer connection itself — so no write was half-way through
// while it was read — and only if no write touched the tables between that
// read and remembering it. The memo lives and dies with its DB.
type memo struct {
	mu      sync.Mutex
	gen     uint64
	chats   map[string]bot.Chat   // platform + "\x00" + external id
	members map[string]bot.Member // platform + "\x00" + external id
	roster  map[int64]bot.RosterEntry
}

// memoTables are the tables whose rows the memo holds.
var memoTables = map[string]bool{"chats": true, "members": true, "roster": true}

func newMemo() *memo {
	m := &memo{}
	m.reset()
	return m
}

func (m *memo) reset() {
	m.chats, m.members, m.roster = map[string]bot.Chat{}, map[string]bot.Member{}, map[int64]bot.RosterEntry{}
}

// written is the writer connection's update hook.
func (m *memo) written(_ int, _, table string, _ int64) {
	if !memoTables[table] {
		return
	}
	m.mu.Lock()
	m.gen++
	m.reset()
	m.mu.Unlock()
}

func extKey(platform, externalID string) string { return platform + "\x00" + externalID }

func (m *memo) chat(platform, externalID string) (bot.Chat, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chats[extKey(platform, externalID)]
	return c, ok
}

func (m *memo) member(platform, externalID string) (bot.Member, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.members[extKey(platform, externalID)]
	return v, ok
}

func (m *memo) rosterEntry(id int64) (bot.RosterEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.roster[id]
	return v, ok
}

func (m *memo) generation() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen
}

// keep runs store if no write happened since generation gen.
func (m *memo) keep(gen uint64, store func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen == gen {
		store()
	}
}

// memoWait bounds how long a memo miss waits for the writer connection
// before reading from the reader pool instead (without remembering): a
// transaction may hold the connection, possibly the caller's own.
const memoWait = 20 * time.Millisecond

// memoRead reads one row for the memo. It reads on the writer connection,
// where no write can be in progress, and reports the generation the row
// belongs to; if that connection is busy it reads from the reader pool and
// reports ok=false: the row is right but must not be remembered.
func (db *DB) memoRead(ctx context.Context, scan func(*sql.Row) error, q string, args ...any) (gen uint64, ok bool, err error) {
	wctx, cancel := context.WithTimeout(ctx, memoWait)
	conn, cerr := db.w.Conn(wctx)
	cancel()
	if cerr != nil {
		return 0, false, scan(db.r.QueryRowContext(ctx, q, args...))
	}
	defer conn.Close()
	gen = db.memo.generation()
	return gen, true, scan(conn.QueryRowContext(ctx, q, args...))
}

// hookedConnector opens writer connections with the memo's update hook.
type hookedConnector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c hookedConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c hookedConnector) Driver() driver.Driver                        { return c.drv }

func writerConnector(dsn string, m *memo) driver.Connector {
	return hookedConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		c.RegisterUpdateHook(m.written)
		return nil
	}}}
}
