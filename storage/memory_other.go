//go:build !linux || !cgo

package storage

// sqliteMemory is unknown here.
func sqliteMemory() (now, high int64) { return 0, 0 }

// trimMalloc does nothing where the C heap is not glibc's.
func trimMalloc() {}

// LimitCArenas does nothing where the C heap is not glibc's.
func LimitCArenas(n int) {}

// MapLargeCAllocations does nothing where the C heap is not glibc's.
func MapLargeCAllocations(threshold int) {}
