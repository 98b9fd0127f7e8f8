// Package storage is branchbot's SQLite database: every SQL statement of the
// project lives here, with embedded, versioned migrations applied at open.
//
// The database runs in WAL mode with foreign keys on. Writes go through a
// single connection (SQLite has one writer anyway, and Go's pool queues
// writers more fairly than SQLite's busy handler); reads use a small pool.
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/privfile"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the open database.
type DB struct {
	path string
	w    *sql.DB // one connection: all writes
	r    *sql.DB // readers
	// hot holds read statements prepared once, for the lookups the engine
	// makes on every message (see readRow).
	hot sync.Map // query -> *sql.Stmt
	// hotW holds write statements prepared once on the writer connection:
	// the fixed-shape statements every group-commit batch runs (see
	// writerStmt).
	hotW sync.Map // query -> *sql.Stmt
	// cache holds chats, members and roster entries read per message.
	cache *lookups
	// queuedHook is told, after a commit, which platforms got messages
	// (see SetQueuedHook).
	queuedHook queuedHook
	// inbox stores received updates and marks them handled (inbox.go).
	inbox inboxWriters
	// ckpt copies the WAL back into the database (see checkpoint.go).
	ckpt            *checkpointer
	stopCheckpoints context.CancelFunc
	// memberWriter stores new members and new display names in batches.
	memberWriter *groupCommit[memberSeen, bot.Member]
	// readOnly: opened by OpenReadOnly (w and r are the same pool).
	readOnly bool
}

// Options tune what an open database keeps in memory; the zero value takes
// the defaults.
type Options struct {
	Cache CacheLimits
	// WriterCache and ReaderCache bound SQLite's page cache (bytes) of the
	// write connection and of each of the readReaders read connections:
	// budgets that fill as pages are read, not allocations. A reader idle
	// for readerIdle is closed and its cache freed; the writer's is emptied
	// when the bot goes quiet (see RunUpkeep).
	WriterCache, ReaderCache int64
}

// Default page cache budgets, and the read pool.
const (
	DefaultWriterCache = 32 << 20
	DefaultReaderCache = 4 << 20
	readReaders        = 4
	readerIdle         = 30 * time.Second
)

// Open opens (creating if needed) the database at path and applies pending
// migrations. The database holds phone numbers and the members behind
// anonymous tickets: a new folder is created 0700 and the file 0600 before
// SQLite opens it (SQLite gives its -wal and -shm files the database's
// mode); files left wider by an older version are narrowed.
func Open(ctx context.Context, path string) (*DB, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	if err := privfile.MkdirAll(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privfile.FileMode); err == nil {
		f.Close()
	} else {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := privfile.Tighten(path, path+"-wal", path+"-shm"); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if o.WriterCache <= 0 {
		o.WriterCache = DefaultWriterCache
	}
	if o.ReaderCache <= 0 {
		o.ReaderCache = DefaultReaderCache
	}
	ck, err := sql.Open("sqlite3", dsn(path, false, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	cp := newCheckpointer(ck)
	w := sql.OpenDB(newWriterConnector(dsn(path, false, o.WriterCache), cp.poke))
	cp.writer = w
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetMaxIdleConns(1)
	db := &DB{path: path, w: w, cache: newLookups(o.Cache), ckpt: cp}
	db.memberWriter = newMemberWriter(db)
	db.inbox = newInboxWriters(db)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		ck.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.Migrate(ctx); err != nil {
		w.Close()
		ck.Close()
		return nil, err
	}
	r := sql.OpenDB(newConnector(dsn(path, true, o.ReaderCache), readerPragmas, nil))
	r.SetMaxOpenConns(readReaders)
	r.SetMaxIdleConns(readReaders)
	r.SetConnMaxIdleTime(readerIdle)
	db.r = r
	var cpCtx context.Context
	cpCtx, db.stopCheckpoints = context.WithCancel(context.WithoutCancel(ctx))
	go cp.run(cpCtx)
	return db, nil
}

// OpenReadOnly opens an existing database for reading only, beside a bot
// that may be running on it: no migrations, no checkpoints, and every
// connection refuses writes. It is for the commands that only look
// (`branchbot stats`) and for measuring a running bot from outside.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, true, DefaultReaderCache))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(2)
	r.SetMaxIdleConns(2)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return &DB{path: path, w: r, r: r, cache: newLookups(CacheLimits{}), readOnly: true}, nil
}

// readerPragmas set up each read connection. Temporary b-trees and sorts
// (an ORDER BY … LIMIT, a DISTINCT) are kept in memory: with SQLite's
// default, each opened a temporary file, which cost the sender's head query
// 0.4 ms of its 0.45 ms, on every message queued. What a read sorts is
// bounded by what it returns, which the bot holds anyway.
const readerPragmas = `PRAGMA temp_store = MEMORY`

// connector opens connections to one database, each set up by its pragmas
// and hook, for sql.OpenDB.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func newConnector(dsn, pragmas string, hook func(*sqlite3.SQLiteConn)) *connector {
	c := &connector{dsn: dsn}
	c.drv = &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		if pragmas != "" {
			if _, err := conn.Exec(pragmas, nil); err != nil {
				return err
			}
		}
		if hook != nil {
			hook(conn)
		}
		return nil
	}}
	return c
}

func (c *connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c *connector) Driver() driver.Driver                        { return c.drv }

func dsn(path string, readOnly bool, cacheBytes int64) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// The writer's page cache holds the pages every batch touches (the
	// check-ins, sessions and outbox of many chats at once); SQLite's 2 MB
	// default made it reread them from the OS (pread) over and over.
	// Negative sizes are KiB, an upper bound, not an allocation.
	q.Set("_cache_size", strconv.FormatInt(-cacheBytes>>10, 10))
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("_query_only", "true")
		q.Del("_txlock")
	}
	return "file:" + path + "?" + q.Encode()
}

// readRow runs a one-row read with a statement prepared once for the
// reader pool: for the lookups made on every incoming message, where
// parsing the SQL each time costs about as much as running it.
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := db.hotStmt(ctx, q)
	if err != nil {
		return db.r.QueryRowContext(ctx, q, args...) // reports the error
	}
	return st.QueryRowContext(ctx, args...)
}

// readRows is readRow for a read of many rows.
func (db *DB) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := db.hotStmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// hotStmt is q prepared once for the reader pool.
func (db *DB) hotStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := db.hot.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	p, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if st, loaded := db.hot.LoadOrStore(q, p); loaded {
		p.Close()
		return st.(*sql.Stmt), nil
	}
	return p, nil
}

// prepareWriter prepares write statements once on the writer connection.
// It must not be called inside a write transaction (that holds the one
// writer connection). Inside one, txStmt then reuses them: the batch
// writers run the same few statements for every batch, and preparing one
// costs about as much as running it.
func (db *DB) prepareWriter(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, ok := db.hotW.Load(q); ok {
			continue
		}
		p, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		if _, loaded := db.hotW.LoadOrStore(q, p); loaded {
			p.Close()
		}
	}
	return nil
}

// txStmt is q for use in tx: prepared once by prepareWriter if it was,
// else prepared for this transaction only.
func (db *DB) txStmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if st, ok := db.hotW.Load(q); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, q)
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
		<-db.ckpt.done
	}
	var errs []error
	for _, m := range []*sync.Map{&db.hot, &db.hotW} {
		m.Range(func(_, st any) bool {
			errs = append(errs, st.(*sql.Stmt).Close())
			return true
		})
	}
	if db.readOnly {
		return errors.Join(append(errs, db.r.Close())...)
	}
	// Copy the WAL into the file now that no checkpointer runs: SQLite
	// does so when its last connection closes, but a connection still in
	// use closes after Close returns, and the file would be read (by
	// `branchbot stats`, a backup of the file) without what the WAL holds.
	// A busy checkpoint leaves that to the last close.
	_, _ = db.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close(), db.ckpt.conn.Close())
	return errors.Join(errs...)
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, in version order. It reports what it applied through Applied.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.MigrateReport(ctx)
	return err
}

// MigrateReport is Migrate returning the names of the migrations it applied.
func (db *DB) MigrateReport(ctx context.Context) ([]string, error) {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create migrations table: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := db.w.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		done[v] = true
	}
	rows.Close()
	var applied []string
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// noForeignKeys is the first line of a migration that must run with
// foreign key enforcement off: one that rebuilds a table other tables refer
// to (SQLite's way to change a CHECK constraint: create the new table, copy,
// drop the old one, rename), since dropping the old one would otherwise
// count every referring row as a violation.
const noForeignKeys = "-- foreign_keys: off"

// apply runs one migration and records it, in one transaction. A migration
// starting with noForeignKeys runs on the writer's connection with foreign
// keys off, and commits only if PRAGMA foreign_key_check then finds no row
// pointing nowhere.
func (db *DB) apply(ctx context.Context, m migration) error {
	run := func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMilli())
		return err
	}
	if !strings.HasPrefix(m.sql, noForeignKeys) {
		return db.tx(ctx, run)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Outside a transaction: SQLite ignores the pragma inside one.
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := run(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	var table string
	switch err := tx.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, new(any), new(any), new(any)); {
	case err == nil:
		_ = tx.Rollback()
		return fmt.Errorf("rows of %s point nowhere after the migration", table)
	case !errors.Is(err, sql.ErrNoRows):
		_ = tx.Rollback()
		return fmt.Errorf("foreign key check: %w", err)
	}
	return tx.Commit()
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE).
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Backup writes a consistent copy of the live database to dest with SQLite's
// online backup API. dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists", dest)
	}
	// The copy holds what the database holds: readable by the bot's user only.
	f, err := os.OpenFile(dest, os.O_RDWR|os.O_CREATE|os.O_EXCL, privfile.FileMode)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	dst, err := sql.Open("sqlite3", "file:"+dest)
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", dest, err)
	}
	defer dst.Close()
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", dest, err)
	}
	defer dconn.Close()
	sconn, err := db.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer sconn.Close()
	return dconn.Raw(func(dc any) error {
		return sconn.Raw(func(sc any) error {
			d, ok1 := dc.(*sqlite3.SQLiteConn)
			s, ok2 := sc.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("backup: not sqlite3 connections")
			}
			b, err := d.Backup("main", s, "main")
			if err != nil {
				return fmt.Errorf("backup: start: %w", err)
			}
			for {
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return fmt.Errorf("backup: step: %w", err)
				}
				if done {
					break
				}
			}
			return b.Finish()
		})
	})
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
