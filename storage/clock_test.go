package storage

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

type idVal struct {
	id   int64
	text string
}

// A full cache forgets an entry nobody looked up since the hand last passed
// it; entries in use get a second chance.
func TestClockCacheEvictsUnusedFirst(t *testing.T) {
	c := newClockCache[string](3, func(v idVal) int64 { return v.id })
	c.put("a", idVal{1, "a"})
	c.put("b", idVal{2, "b"})
	c.put("c", idVal{3, "c"})
	c.get("a")
	c.get("c")
	c.put("d", idVal{4, "d"}) // b was not looked up
	if _, ok := c.get("b"); ok {
		t.Fatal("b is still cached")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.get(k); !ok {
			t.Fatalf("%s was forgotten", k)
		}
	}
	if v, ok := c.getByID(4); !ok || v.text != "d" {
		t.Fatalf("by id 4: %v %v", v, ok)
	}
	if _, ok := c.getByID(2); ok {
		t.Fatal("the evicted entry is still found by id")
	}
	c.removeID(1)
	if _, ok := c.get("a"); ok {
		t.Fatal("a removed by id is still cached")
	}
	c.update("zz", idVal{9, "zz"})
	if _, ok := c.get("zz"); ok {
		t.Fatal("update cached an entry that was not there")
	}
	c.update("c", idVal{3, "C"})
	if v, _ := c.get("c"); v.text != "C" {
		t.Fatalf("updated c reads %q", v.text)
	}
	s := c.stat("t")
	if s.Entries != 2 || s.Limit != 3 || s.Evictions != 1 || s.Hits == 0 || s.Misses == 0 {
		t.Fatalf("stats: %+v", s)
	}
	c.clear()
	if s := c.stat("t"); s.Entries != 0 {
		t.Fatalf("after clear: %+v", s)
	}
}

// Concurrent lookups and stores keep the cache within its limit and its two
// indexes in step (run with -race).
func TestClockCacheConcurrent(t *testing.T) {
	c := newClockCache[int64](100, func(v idVal) int64 { return v.id })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := int64((g*7919 + i*31) % 500)
				if v, ok := c.get(k); ok && v.id != k {
					t.Errorf("key %d holds %d", k, v.id)
					return
				}
				c.put(k, idVal{id: k})
				if i%50 == 0 {
					c.removeID(k)
				}
			}
		})
	}
	wg.Wait()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.keys) > 100 || len(c.index) != len(c.keys) || len(c.byID) != len(c.keys) {
		t.Fatalf("%d keys, %d indexed, %d by id", len(c.keys), len(c.index), len(c.byID))
	}
	for i, k := range c.keys {
		if c.index[k] != i || c.byID[c.vals[i].id] != i {
			t.Fatalf("slot %d: key %d indexed at %d", i, k, c.index[k])
		}
	}
}

// The roster cache holds the entries looked up, never more than its limit,
// and a change made by an import reaches the entries it holds.
func TestRosterCacheHoldsWhatIsLookedUp(t *testing.T) {
	ctx := context.Background()
	db, err := OpenWith(ctx, t.TempDir()+"/t.db", Options{Cache: CacheLimits{Roster: 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.cache.rosterCheckEvery = 0
	unit := testUnit(t, db)
	var entries []bot.RosterEntry
	for i := range 50 {
		entries = append(entries, bot.RosterEntry{Name: fmt.Sprint("成员", i), Number: fmt.Sprint(1000 + i), UnitID: unit})
	}
	if _, _, err := db.ImportRoster(ctx, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
	first, _ := db.RosterByNumber(ctx, "1000")
	for i := range 5 {
		if _, err := db.RosterEntry(ctx, first.ID+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s := db.cache.roster.stat("roster"); s.Entries != 5 {
		t.Fatalf("after five lookups the cache holds %d entries", s.Entries)
	}
	for i := range 50 {
		if _, err := db.RosterEntry(ctx, first.ID+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s := db.cache.roster.stat("roster"); s.Entries != 10 {
		t.Fatalf("after 50 lookups the cache holds %d entries, limit 10", s.Entries)
	}
	entries[49].Name = "改名"
	if _, _, err := db.ImportRoster(ctx, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.RosterEntry(ctx, first.ID+49); e.Name != "改名" {
		t.Fatalf("renamed entry reads %q", e.Name)
	}
}
