//go:build linux && cgo

package storage

/*
#include <malloc.h>

// From the SQLite compiled into github.com/mattn/go-sqlite3.
extern long long sqlite3_memory_used(void);
extern long long sqlite3_memory_highwater(int);
*/
import "C"

// sqliteMemory is the heap SQLite holds now and at most since it was last
// asked (page caches, statements, connections).
func sqliteMemory() (now, high int64) {
	return int64(C.sqlite3_memory_used()), int64(C.sqlite3_memory_highwater(1))
}

// trimMalloc returns the C heap's free pages to the system (glibc keeps
// them otherwise: SQLite's freed pages stay resident).
func trimMalloc() { C.malloc_trim(0) }
