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
// roster_version, and the cache, which holds the entries of one version,
// looks at that count at most every rosterCheckEvery (so such an import is
// seen within a second).
type lookups struct {
	mu        sync.RWMutex
	chats     map[extKey]bot.Chat
	chatIDs   map[int64]bot.Chat
	members   map[extKey]bot.Member
	memberIDs map[int64]extKey
	roster    map[int64]bot.RosterEntry
	// rosterVersion is the roster_version the entries belong to (-1:
	// unknown), looked at rosterChecked (wall clock).
	rosterVersion    int64
	rosterChecked    time.Time
	rosterCheckEvery time.Duration
	// rosterFull: roster holds every entry (WarmCaches read them all), so
	// a new version is read whole again rather than entry by entry.
	rosterFull bool
}

type extKey struct{ platform, id string }

const (
	rosterCheckEvery = time.Second
	maxCachedRows    = 200_000 // per map; past it the map starts afresh
)

func newLookups() *lookups {
	l := &lookups{rosterCheckEvery: rosterCheckEvery}
	l.dropChats()
	l.dropMembers()
	l.dropRoster()
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

func (l *lookups) putRoster(e bot.RosterEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.roster) >= maxCachedRows {
		l.roster, l.rosterFull = map[int64]bot.RosterEntry{}, false
	}
	l.roster[e.ID] = e
}

// dropRoster makes the next lookup look at the roster version again, after
// the roster was changed in this process: a cache holding the whole roster
// then reads it again, any other forgets its entries now.
func (l *lookups) dropRoster() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.rosterFull {
		l.roster = map[int64]bot.RosterEntry{}
	}
	l.rosterVersion, l.rosterChecked = -1, time.Time{}
}

// replaceRoster holds entries, the whole roster at version v.
func (l *lookups) replaceRoster(entries []bot.RosterEntry, v int64) {
	m := make(map[int64]bot.RosterEntry, len(entries))
	for _, e := range entries {
		m[e.ID] = e
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster, l.rosterVersion, l.rosterFull = m, v, len(entries) < maxCachedRows
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

// sawRosterVersion records the roster version just read. If it is not the
// version of the cached entries, a cache holding the whole roster reports
// that it must be read again (reload); any other forgets its entries.
func (l *lookups) sawRosterVersion(v int64) (reload bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v == l.rosterVersion {
		return false
	}
	if l.rosterFull {
		return true
	}
	l.roster, l.rosterVersion = map[int64]bot.RosterEntry{}, v
	return false
}

// checkRosterVersion brings the cached roster entries up to date if the
// roster changed since they were read (looking at most every
// rosterCheckEvery). Lookups made meanwhile by other goroutines still see
// the entries of the version before.
func (db *DB) checkRosterVersion(ctx context.Context) error {
	if !db.cache.rosterCheckDue(time.Now()) {
		return nil
	}
	var v int64
	err := db.readRow(ctx, `SELECT version FROM roster_version`).Scan(&v)
	if err == nil && db.cache.sawRosterVersion(v) {
		err = db.loadRoster(ctx, v)
	}
	if err != nil {
		db.cache.forgetRoster()
		return fmt.Errorf("roster version: %w", err)
	}
	return nil
}

// forgetRoster empties the roster cache (after it could not be brought up
// to date).
func (l *lookups) forgetRoster() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster, l.rosterVersion, l.rosterChecked, l.rosterFull = map[int64]bot.RosterEntry{}, -1, time.Time{}, false
}

// loadRoster reads the whole roster into the cache as version v (read
// before it: a change in between is seen at the next look).
func (db *DB) loadRoster(ctx context.Context, v int64) error {
	roster, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster ORDER BY id DESC LIMIT ?`, maxCachedRows)
	if err != nil {
		return err
	}
	db.cache.replaceRoster(roster, v)
	return nil
}

// WarmCaches reads the chats, members and roster entries the engine looks up
// for every incoming message into memory at once (up to maxCachedRows of
// each), so the first message of each member after a start costs no read.
func (db *DB) WarmCaches(ctx context.Context) error {
	var v int64
	if err := db.r.QueryRowContext(ctx, `SELECT version FROM roster_version`).Scan(&v); err != nil {
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
