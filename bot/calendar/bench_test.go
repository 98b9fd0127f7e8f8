package calendar_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/calendar"
)

// instants spreads benchmark inputs over 2024-2027 so that every year's
// table is used.
func instants() []time.Time {
	out := make([]time.Time, 1024)
	start := time.Date(2024, 1, 1, 10, 0, 0, 0, shanghai)
	for i := range out {
		out[i] = start.Add(time.Duration(i) * 34 * time.Hour)
	}
	return out
}

var quiet = slog.New(slog.DiscardHandler)

// sink keeps the compiler from discarding benchmarked work.
var sink int

// BenchmarkWeekdayBaseline is the cost of the naive check (zone conversion
// and day of week) that IsWorkday replaces.
func BenchmarkWeekdayBaseline(b *testing.B) {
	ts := instants()
	n := 0
	for i := 0; b.Loop(); i++ {
		wd := ts[i%len(ts)].In(shanghai).Weekday()
		if wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	sink = n
}

func BenchmarkIsWorkday(b *testing.B) {
	c := newCalendar(b, calendar.Options{Logger: quiet})
	ts := instants()
	for _, t := range ts {
		c.IsWorkday(t) // build the year tables outside the timing
	}
	n := 0
	for i := 0; b.Loop(); i++ {
		if c.IsWorkday(ts[i%len(ts)]) {
			n++
		}
	}
	sink = n
}

func BenchmarkIsWorkdayParallel(b *testing.B) {
	c := newCalendar(b, calendar.Options{Logger: quiet})
	ts := instants()
	for _, t := range ts {
		c.IsWorkday(t)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.IsWorkday(ts[i%len(ts)])
			i++
		}
	})
}

func BenchmarkDeadline(b *testing.B) {
	c := newCalendar(b, calendar.Options{Logger: quiet})
	ts := instants()
	for i := 0; b.Loop(); i++ {
		c.Deadline(ts[i%len(ts)], 2, 0)
	}
}
