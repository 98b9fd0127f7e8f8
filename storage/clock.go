package storage

import (
	"sync"
	"sync/atomic"
)

// clockCache is a map of at most limit entries that forgets the least
// recently used ones first, by the CLOCK (second chance) approximation of
// LRU: a hit only marks its entry as used, under a read lock, so the lookups
// made for every message never wait for each other; a new entry, when the
// cache is full, takes the place of the first entry the clock hand finds
// unmarked (clearing marks as it passes). New entries start unmarked, so a
// burst of members seen once does not push out those seen again and again.
//
// Entries may also be found by an int64 id (idOf, if set), for the rows the
// database drops by id.
type clockCache[K comparable, V any] struct {
	mu    sync.RWMutex
	limit int
	idOf  func(V) int64
	index map[K]int     // slot of each key
	byID  map[int64]int // slot of each id (idOf set): an int, not a second copy of the key
	keys  []K
	vals  []V
	used  []uint32 // set on a hit (atomically, under the read lock)
	hand  int

	hits, misses, evictions atomic.Int64
}

func newClockCache[K comparable, V any](limit int, idOf func(V) int64) *clockCache[K, V] {
	c := &clockCache[K, V]{limit: max(limit, 1), idOf: idOf}
	c.reset()
	return c
}

// reset forgets every entry (and the memory they took). Called with mu held
// or before the cache is shared.
func (c *clockCache[K, V]) reset() {
	c.index, c.keys, c.vals, c.used, c.hand = map[K]int{}, nil, nil, nil, 0
	if c.idOf != nil {
		c.byID = map[int64]int{}
	}
}

func (c *clockCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	i, ok := c.index[k]
	var v V
	if ok {
		v = c.vals[i]
		atomic.StoreUint32(&c.used[i], 1)
	}
	c.mu.RUnlock()
	c.count(ok)
	return v, ok
}

func (c *clockCache[K, V]) getByID(id int64) (V, bool) {
	c.mu.RLock()
	i, ok := c.byID[id]
	var v V
	if ok {
		v = c.vals[i]
		atomic.StoreUint32(&c.used[i], 1)
	}
	c.mu.RUnlock()
	c.count(ok)
	return v, ok
}

func (c *clockCache[K, V]) count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// put stores v under k, replacing what k held.
func (c *clockCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[k]; ok {
		c.replace(i, k, v)
		return
	}
	if len(c.keys) < c.limit {
		c.index[k] = len(c.keys)
		c.keys, c.vals, c.used = append(c.keys, k), append(c.vals, v), append(c.used, 0)
		c.indexID(len(c.keys)-1, v)
		return
	}
	for atomic.LoadUint32(&c.used[c.hand]) == 1 {
		atomic.StoreUint32(&c.used[c.hand], 0)
		c.hand = (c.hand + 1) % len(c.keys)
	}
	i := c.hand
	delete(c.index, c.keys[i])
	c.evictions.Add(1)
	c.keys[i] = k
	c.index[k] = i
	c.replace(i, k, v)
	c.hand = (i + 1) % len(c.keys)
}

// replace puts v in slot i, which holds k, keeping the id index in step.
func (c *clockCache[K, V]) replace(i int, k K, v V) {
	c.unindexID(i)
	c.vals[i] = v
	c.indexID(i, v)
}

// update replaces the value under k only if k is cached.
func (c *clockCache[K, V]) update(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[k]; ok {
		c.replace(i, k, v)
	}
}

func (c *clockCache[K, V]) indexID(i int, v V) {
	if c.idOf != nil {
		c.byID[c.idOf(v)] = i
	}
}

func (c *clockCache[K, V]) unindexID(i int) {
	if c.idOf != nil {
		delete(c.byID, c.idOf(c.vals[i]))
	}
}

// remove forgets k.
func (c *clockCache[K, V]) remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(k)
}

// removeID forgets the entry with id.
func (c *clockCache[K, V]) removeID(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.byID[id]; ok {
		c.removeLocked(c.keys[i])
	}
}

func (c *clockCache[K, V]) removeLocked(k K) {
	i, ok := c.index[k]
	if !ok {
		return
	}
	c.unindexID(i)
	delete(c.index, k)
	last := len(c.keys) - 1
	if i != last {
		c.keys[i], c.vals[i], c.used[i] = c.keys[last], c.vals[last], atomic.LoadUint32(&c.used[last])
		c.index[c.keys[i]] = i
		c.indexID(i, c.vals[i])
	}
	var zeroK K
	var zeroV V
	c.keys[last], c.vals[last] = zeroK, zeroV
	c.keys, c.vals, c.used = c.keys[:last], c.vals[:last], c.used[:last]
	if c.hand >= len(c.keys) {
		c.hand = 0
	}
}

// clear forgets every entry.
func (c *clockCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset()
}

// each calls fn for every entry, under the read lock.
func (c *clockCache[K, V]) each(fn func(K, V)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, k := range c.keys {
		fn(k, c.vals[i])
	}
}

// CacheStat is one cache's size and use since the database was opened.
type CacheStat struct {
	Name                    string
	Entries, Limit          int
	Hits, Misses, Evictions int64
}

// HitRate is the share of lookups answered from the cache (0 without any).
func (s CacheStat) HitRate() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

func (c *clockCache[K, V]) stat(name string) CacheStat {
	c.mu.RLock()
	n := len(c.keys)
	c.mu.RUnlock()
	return CacheStat{Name: name, Entries: n, Limit: c.limit, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load()}
}
