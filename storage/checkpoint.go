package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// The WAL is copied back into the database file by a checkpointer of its
// own instead of by the writer. SQLite's default (automatic checkpoints run
// by whichever commit takes the WAL past 1000 pages) stalls that commit, and
// every action waiting on it, for as long as copying and syncing takes
// (10 ms and more under load). A PASSIVE checkpoint on another connection
// runs beside the writer, once the commits of a piece of work have landed;
// when it has caught up, the checkpointer starts the WAL afresh itself
// (startWAL), so that no check-in pays for that.
//
// Under writes without pause it never catches up, and the WAL would grow
// without end. So when a checkpoint leaves more than restartFrames in the
// WAL, the checkpointer has the write connection run a RESTART checkpoint
// between two transactions: little is left to copy by then, and the WAL
// starts afresh at the next write. journalSizeLimit then trims the file.

const (
	// checkpointEvery is the longest a checkpoint waits for commits to
	// pause (checkpointQuiet) once one has come.
	checkpointEvery = 100 * time.Millisecond
	checkpointQuiet = 20 * time.Millisecond
	firstCheckpoint = time.Second
	// firstCheckpointPokes commits (counted as pokes, which coalesce) end
	// the first wait early.
	firstCheckpointPokes = 50
	// restartFrames is the WAL length (pages) past which the writer
	// restarts it.
	restartFrames = 4000
	// journalSizeLimit is the size (bytes) a restarted WAL is cut back to.
	journalSizeLimit = 16 << 20
)

// newWriterConnector opens the writer's connection: automatic checkpoints
// off, and every commit pokes the checkpointer.
func newWriterConnector(dsn string, poke func()) *connector {
	return newConnector(dsn, fmt.Sprintf(`PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d`, journalSizeLimit),
		func(conn *sqlite3.SQLiteConn) { conn.RegisterCommitHook(func() int { poke(); return 0 }) })
}

// checkpointer runs PASSIVE checkpoints on its own connection after commits,
// at most every checkpointEvery, until ctx ends.
type checkpointer struct {
	conn     *sql.DB
	writer   *sql.DB // set before run starts
	poked    chan struct{}
	done     chan struct{}
	runs     atomic.Int64 // checkpoints run, for tests
	restarts atomic.Int64 // of which the writer restarted the WAL
	fresh    atomic.Int64 // WAL generations started by startWAL, for tests
	quiet    atomic.Bool  // startWAL's write is committing: no poke
}

func newCheckpointer(conn *sql.DB) *checkpointer {
	return &checkpointer{conn: conn, poked: make(chan struct{}, 1), done: make(chan struct{})}
}

// poke tells the checkpointer the WAL grew. It never blocks (it runs inside
// SQLite's commit).
func (c *checkpointer) poke() {
	if c.quiet.Load() {
		return // the checkpointer's own write (startWAL)
	}
	select {
	case c.poked <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	// The first checkpoint waits a moment: a start writes little, and the
	// checkpointer's connection (which parses the schema) is then opened
	// after the first poll, not beside it. A start that writes a lot (a
	// backlog handled after a restart) ends the wait at once: the WAL
	// would otherwise grow by every commit of that second.
	t := time.NewTimer(firstCheckpoint)
	defer t.Stop()
	for pokes := 0; pokes < firstCheckpointPokes; pokes++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pokes = firstCheckpointPokes
		case <-c.poked:
		}
	}
	c.poke() // what was written while waiting
	quiet := time.NewTimer(checkpointQuiet)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.poked:
		}
		// Let the commits of one piece of work land first (a check-in
		// makes several within milliseconds), so that the checkpoint, and
		// the new WAL after it, come between two pieces of work, not in
		// the middle of one; under writes without a pause, every
		// checkpointEvery.
		t.Reset(checkpointEvery)
	settle:
		for {
			quiet.Reset(checkpointQuiet)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				break settle
			case <-quiet.C:
				break settle
			case <-c.poked:
			}
		}
		// A checkpoint that cannot finish (a reader still needs old
		// frames) copies what it can; the next poke tries again.
		var busy, frames, copied int
		err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		c.runs.Add(1)
		switch {
		case err != nil:
		case frames > restartFrames:
			if _, err := c.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(RESTART)`); err == nil {
				c.restarts.Add(1)
			}
		case busy == 0 && frames > 0 && copied == frames:
			c.startWAL(ctx)
		}
	}
}

// startWAL begins the WAL's next generation on the write connection, after
// a checkpoint that copied the whole WAL back. Otherwise the next write
// starts the WAL over, and with synchronous=NORMAL that write first syncs
// the WAL's new header to disk: 2 ms typically on the development machine,
// up to 20 at times, in the middle of the next check-in (its first write,
// storing the update, took 1.5 ms at the median for it). Here it is done
// between two pieces of work. The write sets the database header's
// user_version, which the bot does not use, to 0, and pokes no one: the
// write connection is held for it, so no other commit can happen meanwhile.
func (c *checkpointer) startWAL(ctx context.Context) {
	conn, err := c.writer.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	c.quiet.Store(true)
	_, err = conn.ExecContext(ctx, `PRAGMA user_version = 0`)
	c.quiet.Store(false)
	if err == nil {
		c.fresh.Add(1)
	}
}
