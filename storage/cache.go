package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// lookups caches the rows the engine reads for every incoming message:
// chats, members and roster entries, each in a bounded cache that forgets
// the least recently used rows (see clockCache and CacheLimits), so memory
// follows what is active, not what was ever seen. Nothing is read ahead: a
// row is cached when it is first looked up.
//
// Chats and members are written only by the bot process itself, through the
// methods of this package, which drop the cached rows they change. Roster
// entries can also change from another process (`branchbot roster import`
// while the bot runs): triggers count every change of the roster table in
// roster_version and mark each changed entry with the count (migration
// 0002). The cache looks at the count at most every rosterCheckEvery (so
// such an import is seen within a second) and reads back only the entries
// changed since, keeping those it holds; a deletion empties it.
type lookups struct {
	chats   *clockCache[extKey, bot.Chat]
	members *clockCache[extKey, bot.Member]
	roster  *clockCache[int64, bot.RosterEntry]

	mu sync.RWMutex
	// rosterAt is the roster_version the entries are up to date with
	// (version -1: unknown), looked at rosterChecked (wall clock).
	rosterAt         rosterVersion
	rosterChecked    time.Time
	rosterCheckEvery time.Duration
}

// CacheLimits bound the rows kept in memory for the lookups made per
// message; zero takes the default.
type CacheLimits struct {
	Chats, Members, Roster int
}

// Default cache sizes: a 20,000-member university's members and roster
// entries, and its groups and the private chats of its busiest members
// (some 5 MiB for each of the first two when full). A cache smaller than
// the members who take turns (a room checking in one after the other) holds
// almost none of them by the time each comes back.
const (
	DefaultCachedChats   = 5_000
	DefaultCachedMembers = 20_000
	DefaultCachedRoster  = 20_000
)

// rosterVersion is a reading of roster_version.
type rosterVersion struct{ version, deletes int64 }

type extKey struct{ platform, id string }

const rosterCheckEvery = time.Second

func newLookups(l CacheLimits) *lookups {
	if l.Chats <= 0 {
		l.Chats = DefaultCachedChats
	}
	if l.Members <= 0 {
		l.Members = DefaultCachedMembers
	}
	if l.Roster <= 0 {
		l.Roster = DefaultCachedRoster
	}
	return &lookups{
		chats:            newClockCache[extKey](l.Chats, func(c bot.Chat) int64 { return c.ID }),
		members:          newClockCache[extKey](l.Members, func(m bot.Member) int64 { return m.ID }),
		roster:           newClockCache[int64, bot.RosterEntry](l.Roster, nil),
		rosterAt:         rosterVersion{version: -1},
		rosterCheckEvery: rosterCheckEvery,
	}
}

func (l *lookups) chat(platform, id string) (bot.Chat, bool) {
	return l.chats.get(extKey{platform, id})
}

func (l *lookups) chatByID(id int64) (bot.Chat, bool) { return l.chats.getByID(id) }

func (l *lookups) putChat(c bot.Chat) { l.chats.put(extKey{c.Platform, c.ExternalID}, c) }

// dropChats forgets every cached chat: chat writes (binding, migration,
// leaving) are rare.
func (l *lookups) dropChats() { l.chats.clear() }

func (l *lookups) member(platform, id string) (bot.Member, bool) {
	return l.members.get(extKey{platform, id})
}

func (l *lookups) putMember(m bot.Member) { l.members.put(extKey{m.Platform, m.ExternalID}, m) }

// dropMember forgets one cached member (after its link changed).
func (l *lookups) dropMember(id int64) { l.members.removeID(id) }

// dropMembers forgets every cached member (after links of many changed).
func (l *lookups) dropMembers() { l.members.clear() }

func (l *lookups) rosterEntry(id int64) (bot.RosterEntry, bool) { return l.roster.get(id) }

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
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.rosterAt.version != at {
		return
	}
	l.roster.put(e.ID, e)
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
	l.roster.clear()
	l.rosterAt, l.rosterChecked = rosterVersion{version: -1}, time.Time{}
}

// stats reports each cache's size and use.
func (l *lookups) stats() []CacheStat {
	return []CacheStat{l.chats.stat("chats"), l.members.stat("members"), l.roster.stat("roster")}
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

// applyRoster takes in the entries changed since the cached version, read
// at version v: those it holds are replaced, the others stay unread until
// they are looked up.
func (l *lookups) applyRoster(changed []bot.RosterEntry, v rosterVersion) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range changed {
		l.roster.update(e.ID, e)
	}
	l.rosterAt = v
}

// restartRoster empties the cache and counts it up to date with v.
func (l *lookups) restartRoster(v rosterVersion) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster.clear()
	l.rosterAt = v
}

func (l *lookups) rosterState() rosterVersion {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.rosterAt
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
	at := db.cache.rosterState()
	switch {
	case now == at:
		return nil
	case at.version >= 0 && now.deletes == at.deletes:
		changed, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster WHERE changed > ?`, at.version)
		if err != nil {
			return err
		}
		db.cache.applyRoster(changed, now)
	default:
		// Not known, or entries deleted: start afresh from this version.
		db.cache.restartRoster(now)
	}
	return nil
}

// CacheStats reports the size and hit rate of each lookup cache since the
// database was opened.
func (db *DB) CacheStats() []CacheStat { return db.cache.stats() }
