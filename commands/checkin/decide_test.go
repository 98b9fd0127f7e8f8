package checkin

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	open := Session{ID: 1, Deadline: t0.Add(15 * time.Minute), EndsAt: t0.Add(15 * time.Minute)}
	late := open
	late.EndsAt = t0.Add(25 * time.Minute)
	coded := open
	coded.Code = "4827"
	closed := late
	closed.ClosedAt = t0.Add(5 * time.Minute)
	earlier := &Checkin{SessionID: 1, MemberID: 7, At: t0}
	at := func(d time.Duration, code string) Attempt { return Attempt{MemberID: 7, Code: code, At: t0.Add(d)} }
	for _, c := range []struct {
		name    string
		s       *Session
		earlier *Checkin
		a       Attempt
		want    Outcome
	}{
		{"no session ever", nil, nil, at(0, ""), NoSession},
		{"on time", &open, nil, at(0, ""), CheckedIn},
		{"just before the deadline", &open, nil, at(15*time.Minute-time.Millisecond, ""), CheckedIn},
		{"at the deadline, no late window", &open, nil, at(15*time.Minute, ""), Closed},
		{"at the deadline, late window", &late, nil, at(15*time.Minute, ""), CheckedInLate},
		{"in the late window", &late, nil, at(20*time.Minute, ""), CheckedInLate},
		{"at the end of the late window", &late, nil, at(25*time.Minute, ""), Closed},
		{"closed by hand before its end", &closed, nil, at(time.Minute, ""), Closed},
		{"closed wins over a repeat", &closed, earlier, at(time.Minute, ""), Closed},
		{"repeat", &open, earlier, at(time.Minute, ""), Repeat},
		{"repeat in the late window", &late, earlier, at(20*time.Minute, ""), Repeat},
		{"code needed", &coded, nil, at(0, ""), NeedCode},
		{"wrong code", &coded, nil, at(0, "1234"), WrongCode},
		{"right code", &coded, nil, at(0, "4827"), CheckedIn},
		{"wrong code before repeat", &coded, earlier, at(0, "1234"), WrongCode},
		{"right code, repeat", &coded, earlier, at(0, "4827"), Repeat},
		{"a code where none is needed is ignored", &open, nil, at(0, "4827"), CheckedIn},
	} {
		if got := decide(c.s, c.earlier, c.a); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
