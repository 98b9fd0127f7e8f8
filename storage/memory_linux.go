//go:build linux && cgo

package storage

/*
#include <malloc.h>

// From the SQLite compiled into github.com/mattn/go-sqlite3.
extern long long sqlite3_memory_used(void);
extern long long sqlite3_memory_highwater(int);
*/
import "C"

import "os"

// sqliteMemory is the heap SQLite holds now and at most since it was last
// asked (page caches, statements, connections).
func sqliteMemory() (now, high int64) {
	return int64(C.sqlite3_memory_used()), int64(C.sqlite3_memory_highwater(1))
}

// LimitCArenas caps the malloc arenas of the C heap (SQLite's) at n, unless
// MALLOC_ARENA_MAX set a cap already. glibc gives each thread that
// allocates at once an arena of its own, up to eight per core, and every
// arena keeps what was freed in it: SQLite called from many Go threads
// through a burst left tens of MiB resident that no arena gave back. Call
// it before the database is opened.
func LimitCArenas(n int) {
	if os.Getenv("MALLOC_ARENA_MAX") != "" || n <= 0 {
		return
	}
	C.mallopt(C.M_ARENA_MAX, C.int(n))
}

// trimMalloc returns the C heap's free pages to the system (glibc keeps
// them otherwise: SQLite's freed pages stay resident).
func trimMalloc() { C.malloc_trim(0) }

// MapLargeCAllocations has the C heap serve every allocation of at least
// threshold bytes with a mapping of its own, given back to the system when
// it is freed, unless the environment's MALLOC_MMAP_THRESHOLD_ set a
// threshold already. glibc otherwise raises that threshold as large blocks
// are freed (up to 32 MiB), after which SQLite's copies of a burst's large
// parameters (a batch's rows as one JSON text) come from the arenas and
// stay resident there once freed: some 15 MiB at the peak of a 52,000-update
// burst (BenchmarkScaleMemory; README, Benchmarks).
func MapLargeCAllocations(threshold int) {
	if os.Getenv("MALLOC_MMAP_THRESHOLD_") != "" || threshold <= 0 {
		return
	}
	C.mallopt(C.M_MMAP_THRESHOLD, C.int(threshold))
}
