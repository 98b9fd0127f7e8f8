package bot

import (
	"testing"
	"time"
)

func TestWindowAllowsCountPerPeriod(t *testing.T) {
	lim := newLimiter(Limits{PerChat: []RateLimit{{Count: 2, Per: time.Minute}, {Count: 1, Per: time.Second}}})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if r := lim.chatReady(1); !r.IsZero() {
		t.Fatalf("fresh chat not ready: %v", r)
	}
	lim.finished(1, t0)
	if r := lim.chatReady(1); !r.Equal(t0.Add(time.Second)) {
		t.Fatalf("after one send ready at %v, want +1s", r)
	}
	lim.finished(1, t0.Add(time.Second))
	if r := lim.chatReady(1); !r.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after two sends ready at %v, want +1m", r)
	}
	if r := lim.chatReady(2); !r.IsZero() {
		t.Fatalf("another chat is held: %v", r)
	}
	lim.holdChat(2, t0.Add(5*time.Second))
	if r := lim.chatReady(2); !r.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("hold not applied: %v", r)
	}
}

func TestGlobalSpacingDoesNotDrift(t *testing.T) {
	lim := newLimiter(Limits{Global: RateLimit{Count: 200, Per: time.Second}})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := t0
	for i := 0; i < 400; i++ {
		ready := lim.globalReady()
		if ready.After(at) {
			at = ready
		}
		lim.started(0, at.Add(100*time.Microsecond)) // every send starts a little late
		lim.finished(0, at.Add(200*time.Microsecond))
	}
	// 400 sends at 200/s: the last starts about 2s in, not 2s plus the lateness.
	if d := at.Sub(t0); d < 1990*time.Millisecond || d > 2010*time.Millisecond {
		t.Fatalf("400 sends took %v", d)
	}
}

func TestPacingWithJitter(t *testing.T) {
	lim := newLimiter(Limits{MinGap: time.Second, MaxGap: 3 * time.Second})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 50; i++ {
		lim.finished(1, t0)
		gap := lim.globalReady().Sub(t0)
		if gap < time.Second || gap >= 3*time.Second {
			t.Fatalf("gap %v outside [1s,3s)", gap)
		}
	}
}

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
		lim.started(1, now)
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

// A chat whose windows have emptied and whose hold has passed is forgotten;
// one still limited is kept, with what it recorded.
func TestLimiterForgetsIdleChats(t *testing.T) {
	lim := newLimiter(Limits{PerChat: []RateLimit{{Count: 1, Per: time.Second}, {Count: 20, Per: time.Minute}}})
	t0 := time.Now()
	for id := range int64(100) {
		lim.finished(id, t0)
	}
	lim.holdChat(5, t0.Add(time.Hour))
	lim.finished(7, t0.Add(50*time.Second))
	lim.prune(t0.Add(time.Minute + time.Second))
	if len(lim.chats) != 2 || lim.chats[5] == nil || lim.chats[7] == nil {
		t.Fatalf("kept %d chats: %v", len(lim.chats), lim.chats)
	}
	if r := lim.chatReady(7); !r.Equal(t0.Add(51 * time.Second)) {
		t.Fatalf("chat 7 ready at %v, want its window kept", r.Sub(t0))
	}
	if r := lim.chatReady(3); !r.IsZero() {
		t.Fatalf("a forgotten chat is limited until %v", r.Sub(t0))
	}
}
