package relay

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestReach(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	open := &Relay{ID: 3, ChatID: 1}
	until := &Relay{ID: 3, ChatID: 1, Until: t0.Add(time.Hour)}
	closed := &Relay{ID: 3, ChatID: 1, ClosedAt: t0}
	other := &Relay{ID: 3, ChatID: 2}
	for _, c := range []struct {
		name string
		r    *Relay
		op   Op
		want Outcome
		ok   bool
	}{
		{"newest open relay", open, Op{ChatID: 1, At: t0}, 0, true},
		{"no open relay", nil, Op{ChatID: 1, At: t0}, NoRelay, false},
		{"no relay with that number", nil, Op{ChatID: 1, RelayID: 3, At: t0}, NotFound, false},
		{"a relay of another chat", other, Op{ChatID: 1, RelayID: 3, At: t0}, NotFound, false},
		{"closed by hand", closed, Op{ChatID: 1, RelayID: 3, At: t0}, Closed, false},
		{"before its deadline", until, Op{ChatID: 1, RelayID: 3, At: t0.Add(time.Hour - time.Millisecond)}, 0, true},
		{"at its deadline", until, Op{ChatID: 1, RelayID: 3, At: t0.Add(time.Hour)}, Closed, false},
		{"leave after closing", closed, Op{Kind: Leave, ChatID: 1, RelayID: 3, At: t0}, Closed, false},
	} {
		got, ok := reach(c.r, c.op)
		if ok != c.ok || !ok && got != c.want {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestDecide(t *testing.T) {
	es := []Entry{{ID: 10, MemberID: 1, Note: "带相机", Place: 1}, {ID: 11, MemberID: 2, Place: 2}}
	for _, c := range []struct {
		name string
		es   []Entry
		op   Op
		want Outcome
		at   int
	}{
		{"join", es, Op{MemberID: 3}, Joined, -1},
		{"join with a note", es, Op{MemberID: 3, Note: "晚到"}, Joined, -1},
		{"join an empty relay", nil, Op{MemberID: 3}, Joined, -1},
		{"join again", es, Op{MemberID: 2}, Already, 1},
		{"join again without a note keeps the note", es, Op{MemberID: 1}, Already, 0},
		{"join again with the same note", es, Op{MemberID: 1, Note: "带相机"}, Already, 0},
		{"join again with a new note", es, Op{MemberID: 1, Note: "晚到"}, NoteChanged, 0},
		{"leave", es, Op{Kind: Leave, MemberID: 2}, Left, 1},
		{"leave when not on it", es, Op{Kind: Leave, MemberID: 3}, NotIn, -1},
		{"leave an empty relay", nil, Op{Kind: Leave, MemberID: 1}, NotIn, -1},
	} {
		got, at := decide(c.es, c.op)
		if got != c.want || at != c.at {
			t.Errorf("%s: %v at %d, want %v at %d", c.name, got, at, c.want, c.at)
		}
	}
}

// places shows a list as member:place, with waitlisted places marked w.
func places(r Relay, es []Entry) string {
	var s []string
	for _, e := range es {
		mark := ""
		if r.Waitlisted(e.Place) {
			mark = "w"
		}
		s = append(s, fmt.Sprintf("%d:%d%s", e.MemberID, e.Place, mark))
	}
	return fmt.Sprint(s)
}

// Joins take the next place, on the waitlist once the places are taken; a
// leave moves everyone behind it up one place in order, so the first on
// the waitlist takes the place that came free.
func TestPlacesAndWaitlist(t *testing.T) {
	r := Relay{Cap: 2}
	var es []Entry
	for m := int64(1); m <= 5; m++ {
		es = join(es, Entry{MemberID: m})
	}
	if got, want := places(r, es), "[1:1 2:2 3:3w 4:4w 5:5w]"; got != want {
		t.Fatalf("after five joins: %s, want %s", got, want)
	}
	es = leave(es, 0) // a numbered place comes free
	if got, want := places(r, es), "[2:1 3:2 4:3w 5:4w]"; got != want {
		t.Fatalf("after the first left: %s, want %s", got, want)
	}
	es = leave(es, 2) // someone on the waitlist leaves
	if got, want := places(r, es), "[2:1 3:2 5:3w]"; got != want {
		t.Fatalf("after a waitlisted one left: %s, want %s", got, want)
	}
	es = leave(es, len(es)-1)
	es = join(es, Entry{MemberID: 1}) // back, at the end
	if got, want := places(r, es), "[2:1 3:2 1:3w]"; got != want {
		t.Fatalf("after the last left and the first came back: %s, want %s", got, want)
	}
	if !slices.IsSortedFunc(es, func(a, b Entry) int { return a.Place - b.Place }) {
		t.Fatal("places out of order")
	}
	if got := places(Relay{}, es); got != "[2:1 3:2 1:3]" {
		t.Fatalf("without a limit nobody waits: %s", got)
	}
}
