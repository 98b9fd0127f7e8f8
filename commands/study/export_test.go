package study

import "time"

// Internals for the external tests (package study_test, which may import
// storage: this package may not).

// Visible reports whether an item is for a unit.
var Visible = visible

// SetBatch sets how many groups one fan-out transaction queues and what
// runs after each committed batch.
func SetBatch(f *Feature, n int, after func()) { f.batch, f.afterBatch = n, after }

// Occurrences lists the instants of the i-th configured push in (after,
// until], at most limit of them.
func Occurrences(f *Feature, i int, after, until time.Time, limit int) []time.Time {
	return f.occurrences(f.pushes[i], after, until, limit)
}
