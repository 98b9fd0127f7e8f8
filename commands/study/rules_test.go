package study

import (
	"slices"
	"testing"
	"time"
)

func TestStudied(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	earlier := Mark{ItemID: 3, RosterID: 7, MemberID: 1, ChatID: 2, At: t0}
	now := Mark{ItemID: 3, RosterID: 7, MemberID: 5, ChatID: 6, At: t0.Add(time.Hour)}
	tests := []struct {
		name       string
		prev       Mark
		found      bool
		wantRecord bool
		wantFirst  Mark
	}{
		{"first time: recorded", Mark{}, false, true, now},
		{"again, from another identity of the same person: the first stands", earlier, true, false, earlier},
	}
	for _, tt := range tests {
		record, first := studied(tt.prev, tt.found, now)
		if record != tt.wantRecord || first != tt.wantFirst {
			t.Errorf("%s: studied = %v, %+v; want %v, %+v", tt.name, record, first, tt.wantRecord, tt.wantFirst)
		}
	}
}

func TestFinishedStatus(t *testing.T) {
	if finishedStatus(false) != RunDone || finishedStatus(true) != RunManual {
		t.Errorf("finishedStatus(false), (true) = %s, %s", finishedStatus(false), finishedStatus(true))
	}
}

func TestCatchUp(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	h := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name        string
		occ         []time.Time
		wantDue     []time.Time
		wantSkipped int
		wantLast    time.Time
	}{
		{"nothing missed", nil, nil, 0, time.Time{}},
		{"on time", []time.Time{now}, []time.Time{now}, 0, time.Time{}},
		{"late within the window", []time.Time{h(90 * time.Minute)}, []time.Time{h(90 * time.Minute)}, 0, time.Time{}},
		{"exactly at the window", []time.Time{h(2 * time.Hour)}, []time.Time{h(2 * time.Hour)}, 0, time.Time{}},
		{"two beyond the window, one within", []time.Time{h(50 * time.Hour), h(26 * time.Hour), h(time.Hour)},
			[]time.Time{h(time.Hour)}, 2, h(26 * time.Hour)},
	}
	for _, tt := range tests {
		due, skipped, last := catchUp(tt.occ, now, 2*time.Hour)
		if !slices.Equal(due, tt.wantDue) || skipped != tt.wantSkipped || !last.Equal(tt.wantLast) {
			t.Errorf("%s: catchUp = %v, %d, %v; want %v, %d, %v", tt.name, due, skipped, last, tt.wantDue, tt.wantSkipped, tt.wantLast)
		}
	}
}
