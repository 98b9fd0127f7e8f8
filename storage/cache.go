package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// lookups caches the rows the engine reads for every incoming message.
// Chats and members are written only by the bot process itself, through the
// methods of this package, which drop the cached rows they change. Roster
// entries can also change from another process (`branchbot roster import`
// while the bot runs): triggers count every change of the roster table in
// roster_version and mark each changed entry with the count (migration
// 0002). The cache looks at the count at most every rosterCheckEvery (so
// such an import is seen within a second) and reads back only the entries
// changed since; a deletion makes it read the roster anew.
type lookups struct {
	mu        sync.RWMutex
	chats     map[extKey]bot.Chat
	chatIDs   map[int64]bot.Chat
	members   map[extKey]bot.Member
	memberIDs map[int64]extKey
	roster    map[int64]bot.RosterEntry
	// rosterAt is the roster_version the entries are up to date with
	// (version -1: unknown), looked at rosterChecked (wall clock).
	rosterAt         rosterVersion
	rosterChecked    time.Time
	rosterCheckEvery time.Duration
	// rosterFull: roster holds every entry (WarmCaches read them all), so
	// after a deletion it is read whole again rather than forgotten.
	rosterFull bool
}

// rosterVersion is a reading of roster_version.
type rosterVersion struct{ version, deletes int64 }

type extKey struct{ platform, id string }

const (
	rosterCheckEvery = time.Second
	maxCachedRows    = 200_000 // per map; past it the map starts afresh
)

func newLookups() *lookups {
	l := &lookups{rosterCheckEvery: rosterCheckEvery}
	l.dropChats()
	l.dropMembers()
	l.forgetRoster()
	return l
}

func (l *lookups) chat(platform, id string) (bot.Chat, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.chats[extKey{platform, id}]
	return c, ok
}

func (l *lookups) chatByID(id int64) (bot.Chat, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, ok := l.chatIDs[id]
	return c, ok
}

func (l *lookups) putChat(c bot.Chat) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.chatIDs) >= maxCachedRows {
		l.chats, l.chatIDs = map[extKey]bot.Chat{}, map[int64]bot.Chat{}
	}
	l.chats[extKey{c.Platform, c.ExternalID}] = c
	l.chatIDs[c.ID] = c
}

// dropChats forgets every cached chat: chat writes (binding, migration,
// leaving) are rare.
func (l *lookups) dropChats() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chats, l.chatIDs = map[extKey]bot.Chat{}, map[int64]bot.Chat{}
}

func (l *lookups) member(platform, id string) (bot.Member, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	m, ok := l.members[extKey{platform, id}]
	return m, ok
}

func (l *lookups) putMember(m bot.Member) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.members) >= maxCachedRows {
		l.members, l.memberIDs = map[extKey]bot.Member{}, map[int64]extKey{}
	}
	k := extKey{m.Platform, m.ExternalID}
	l.members[k] = m
	l.memberIDs[m.ID] = k
}

// dropMember forgets one cached member (after its link changed).
func (l *lookups) dropMember(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k, ok := l.memberIDs[id]; ok {
		delete(l.members, k)
		delete(l.memberIDs, id)
	}
}

// dropMembers forgets every cached member (after links of many changed).
func (l *lookups) dropMembers() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members, l.memberIDs = map[extKey]bot.Member{}, map[int64]extKey{}
}

func (l *lookups) rosterEntry(id int64) (bot.RosterEntry, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.roster[id]
	return e, ok
}

// rosterVersion is the version the cached entries are up to date with.
func (l *lookups) rosterVersion() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.rosterAt.version
}

// putRoster caches an entry read from the database when the cache was at
// version at: if the cache has moved on since (it took in changes read
// after this entry was), the entry may be older than them and is left out.
func (l *lookups) putRoster(e bot.RosterEntry, at int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rosterAt.version != at {
		return
	}
	if len(l.roster) >= maxCachedRows {
		l.roster, l.rosterFull = map[int64]bot.RosterEntry{}, false
	}
	l.roster[e.ID] = e
}

// dropRoster makes the next lookup look at the roster version at once,
// after the roster was changed in this process.
func (l *lookups) dropRoster() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rosterChecked = time.Time{}
}

// forgetRoster empties the roster cache.
func (l *lookups) forgetRoster() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster, l.rosterAt, l.rosterChecked, l.rosterFull = map[int64]bot.RosterEntry{}, rosterVersion{version: -1}, time.Time{}, false
}

// rosterCheckDue reports whether the roster version should be looked at
// now, and if so counts it as looked at (so concurrent lookups do not all
// read it).
func (l *lookups) rosterCheckDue(now time.Time) bool {
	l.mu.RLock()
	due := now.Sub(l.rosterChecked) >= l.rosterCheckEvery
	l.mu.RUnlock()
	if !due {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.rosterChecked) < l.rosterCheckEvery {
		return false
	}
	l.rosterChecked = now
	return true
}

// applyRoster takes in entries read at version v: the whole roster
// (replace) or those changed since the cached version.
func (l *lookups) applyRoster(entries []bot.RosterEntry, v rosterVersion, replace bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if replace {
		l.roster = make(map[int64]bot.RosterEntry, len(entries))
		l.rosterFull = len(entries) < maxCachedRows
	}
	for _, e := range entries {
		if len(l.roster) >= maxCachedRows {
			l.roster, l.rosterFull = map[int64]bot.RosterEntry{}, false
		}
		l.roster[e.ID] = e
	}
	l.rosterAt = v
}

// restartRoster empties a cache that does not hold the whole roster and
// counts it up to date with v.
func (l *lookups) restartRoster(v rosterVersion) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster, l.rosterAt, l.rosterFull = map[int64]bot.RosterEntry{}, v, false
}

func (l *lookups) rosterState() (rosterVersion, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.rosterAt, l.rosterFull
}

// checkRosterVersion brings the cached roster entries up to date if the
// roster changed since they were read (looking at most every
// rosterCheckEvery). Lookups made meanwhile by other goroutines still see
// the entries as they were.
func (db *DB) checkRosterVersion(ctx context.Context) error {
	if !db.cache.rosterCheckDue(time.Now()) {
		return nil
	}
	if err := db.refreshRoster(ctx); err != nil {
		db.cache.forgetRoster()
		return fmt.Errorf("roster version: %w", err)
	}
	return nil
}

func (db *DB) refreshRoster(ctx context.Context) error {
	var now rosterVersion
	if err := db.readRow(ctx, `SELECT version, deletes FROM roster_version`).Scan(&now.version, &now.deletes); err != nil {
		return err
	}
	at, full := db.cache.rosterState()
	switch {
	case now == at:
		return nil
	case at.version >= 0 && now.deletes == at.deletes:
		changed, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster WHERE changed > ?`, at.version)
		if err != nil {
			return err
		}
		db.cache.applyRoster(changed, now, false)
	case full:
		return db.loadRoster(ctx, now)
	default:
		// Not known, or entries deleted: start afresh from this version.
		db.cache.restartRoster(now)
	}
	return nil
}

// loadRoster reads the whole roster into the cache as of version v (read
// before it: a change in between is read again at the next look).
func (db *DB) loadRoster(ctx context.Context, v rosterVersion) error {
	roster, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster ORDER BY id DESC LIMIT ?`, maxCachedRows)
	if err != nil {
		return err
	}
	db.cache.applyRoster(roster, v, true)
	return nil
}

// WarmCaches reads the chats, members and roster entries the engine looks up
// for every incoming message into memory at once (up to maxCachedRows of
// each), so the first message of each member after a start costs no read.
func (db *DB) WarmCaches(ctx context.Context) error {
	var v rosterVersion
	if err := db.r.QueryRowContext(ctx, `SELECT version, deletes FROM roster_version`).Scan(&v.version, &v.deletes); err != nil {
		return fmt.Errorf("warm caches: roster version: %w", err)
	}
	if err := db.loadRoster(ctx, v); err != nil {
		return fmt.Errorf("warm caches: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+memberCols+` FROM members ORDER BY id DESC LIMIT ?`, maxCachedRows-1)
	if err != nil {
		return fmt.Errorf("warm caches: members: %w", err)
	}
	members, err := collect(rows, scanMember)
	if err != nil {
		return fmt.Errorf("warm caches: members: %w", err)
	}
	for _, m := range members {
		db.cache.putMember(m)
	}
	rows, err = db.r.QueryContext(ctx, `SELECT `+chatCols+` FROM chats ORDER BY id DESC LIMIT ?`, maxCachedRows-1)
	if err != nil {
		return fmt.Errorf("warm caches: chats: %w", err)
	}
	chats, err := collect(rows, scanChat)
	if err != nil {
		return fmt.Errorf("warm caches: chats: %w", err)
	}
	for _, c := range chats {
		db.cache.putChat(c)
	}
	return nil
}
