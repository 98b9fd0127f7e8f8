package bot

import (
	"testing"
	"time"
)

// Time lost to a pause is made up (within Per/catchUpShare) instead of
// being lost for good, and the global window still holds in every Per.
func TestLimiterCatchUpAfterPause(t *testing.T) {
	lim := newLimiter(Limits{Global: RateLimit{Count: 10, Per: time.Second}})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var sends []time.Time
	for now.Before(t0.Add(10 * time.Second)) {
		if len(sends) == 50 {
			now = now.Add(300 * time.Millisecond) // a slow database read
		}
		now = later(now, lim.globalReady())
		lim.started(now)
		lim.finished(1, now)
		sends = append(sends, now)
	}
	// 10/s for 10 s is 100 sends; the pause must not cost any.
	n := 0
	for _, s := range sends {
		if s.Before(t0.Add(10 * time.Second)) {
			n++
		}
	}
	if n < 100 {
		t.Errorf("%d sends in 10 s with a 300 ms pause, want 100", n)
	}
	for i := range sends {
		in := 0
		for _, s := range sends[i:] {
			if s.Sub(sends[i]) < time.Second {
				in++
			}
		}
		if in > 10 {
			t.Fatalf("%d sends within 1 s from %s", in, sends[i].Sub(t0))
		}
	}
	// Without pauses the sends are evenly spaced (no bursts).
	for i := range 45 {
		if d := sends[i+1].Sub(sends[i]); d != 100*time.Millisecond {
			t.Fatalf("gap %d = %s, want 100ms", i, d)
		}
	}
}
