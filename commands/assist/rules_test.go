package assist

import (
	"testing"
	"time"
)

func TestWithinBudget(t *testing.T) {
	tests := []struct {
		used, limit int
		want        bool
	}{
		{0, 5, true},
		{4, 5, true},
		{5, 5, false},
		{6, 5, false}, // a budget lowered below today's use
		{0, 0, false},
	}
	for _, tt := range tests {
		if got := withinBudget(Usage{Requests: tt.used}, tt.limit); got != tt.want {
			t.Errorf("withinBudget(%d used, limit %d) = %v, want %v", tt.used, tt.limit, got, tt.want)
		}
	}
}

func TestRetainedSince(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if got, want := retainedSince(7*24*time.Hour, now), time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("retainedSince(7d) = %v, want %v", got, want)
	}
}
