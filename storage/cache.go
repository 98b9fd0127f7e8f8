package storage

import (
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// lookups caches the rows the engine reads for every incoming message.
// Chats and members are written only by the bot process itself, through the
// methods of this package, which drop the cached rows they change. Roster
// entries can also change from another process (`branchbot roster import`
// while the bot runs), so they are kept for rosterTTL only.
type lookups struct {
	mu      sync.RWMutex
	chats   map[extKey]bot.Chat
	chatIDs map[int64]bot.Chat
	members map[extKey]bot.Member
	roster  map[int64]rosterHit
}

type extKey struct{ platform, id string }

type rosterHit struct {
	e  bot.RosterEntry
	at time.Time
}

const (
	rosterTTL     = 10 * time.Second
	maxCachedRows = 200_000 // per map; past it the map starts afresh
)

func newLookups() *lookups {
	return &lookups{chats: map[extKey]bot.Chat{}, chatIDs: map[int64]bot.Chat{}, members: map[extKey]bot.Member{}, roster: map[int64]rosterHit{}}
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
		l.members = map[extKey]bot.Member{}
	}
	l.members[extKey{m.Platform, m.ExternalID}] = m
}

// dropMembers forgets every cached member (after a link changes).
func (l *lookups) dropMembers() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members = map[extKey]bot.Member{}
}

func (l *lookups) rosterEntry(id int64, now time.Time) (bot.RosterEntry, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h, ok := l.roster[id]
	if !ok || now.Sub(h.at) > rosterTTL {
		return bot.RosterEntry{}, false
	}
	return h.e, true
}

func (l *lookups) putRoster(e bot.RosterEntry, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.roster) >= maxCachedRows {
		l.roster = map[int64]rosterHit{}
	}
	l.roster[e.ID] = rosterHit{e: e, at: now}
}

func (l *lookups) dropRoster() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster = map[int64]rosterHit{}
}
