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
		{"no relay with that number", nil, Op{ChatID: 1, Number: 3, At: t0}, NotFound, false},
		{"a relay of another chat", other, Op{ChatID: 1, Number: 3, At: t0}, NotFound, false},
		{"closed by hand", closed, Op{ChatID: 1, Number: 3, At: t0}, Closed, false},
		{"before its deadline", until, Op{ChatID: 1, Number: 3, At: t0.Add(time.Hour - time.Millisecond)}, 0, true},
		{"at its deadline", until, Op{ChatID: 1, Number: 3, At: t0.Add(time.Hour)}, Closed, false},
		{"leave after closing", closed, Op{Kind: Leave, ChatID: 1, Number: 3, At: t0}, Closed, false},
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

// same: a person is found by chat identity, by roster entry (linked on two
// platforms, or added by a secretary), or, known by neither, by name.
func TestSamePerson(t *testing.T) {
	own := Entry{MemberID: 7, RosterID: 70, Name: "王五"}
	proxied := Entry{RosterID: 70, Name: "王五", AddedBy: 1}
	guest := Entry{Name: "王奶奶", AddedBy: 1}
	for _, c := range []struct {
		name string
		e    Entry
		op   Op
		want bool
	}{
		{"the same member", own, Op{MemberID: 7}, true},
		{"another member", own, Op{MemberID: 8}, false},
		{"the same roster entry on another platform", own, Op{MemberID: 9, RosterID: 70}, true},
		{"a secretary naming the member", own, Op{RosterID: 70, Name: "王五"}, true},
		{"the member, added by a secretary", proxied, Op{MemberID: 7, RosterID: 70}, true},
		{"an unlinked member is not a proxied entry of the same name", proxied, Op{MemberID: 9, Name: "王五"}, false},
		{"a guest by name", guest, Op{Name: "王奶奶"}, true},
		{"another guest", guest, Op{Name: "王爷爷"}, false},
		{"a member is never a guest of their name", guest, Op{MemberID: 9, Name: "王奶奶"}, false},
	} {
		if got := same(c.e, c.op); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWhichToLeave(t *testing.T) {
	r1, r2 := Relay{ID: 1, Seq: 1}, Relay{ID: 2, Seq: 2}
	on := func(ids ...int64) func(Relay) bool {
		return func(r Relay) bool { return slices.Contains(ids, r.ID) }
	}
	for _, c := range []struct {
		name    string
		open    []Relay
		on      func(Relay) bool
		want    Outcome
		relay   int64
		choices int
	}{
		{"nothing open", nil, on(), NoRelay, 0, 0},
		{"on none", []Relay{r1, r2}, on(), NotInAny, 0, 0},
		{"on the older one only", []Relay{r1, r2}, on(1), 0, 1, 0},
		{"on the newer one only", []Relay{r1, r2}, on(2), 0, 2, 0},
		{"on both", []Relay{r1, r2}, on(1, 2), Ambiguous, 0, 2},
	} {
		got, r, choices := whichToLeave(c.open, c.on)
		var id int64
		if r != nil {
			id = r.ID
		}
		if got != c.want || id != c.relay || len(choices) != c.choices {
			t.Errorf("%s: %v relay %d choices %d, want %v relay %d choices %d", c.name, got, id, len(choices), c.want, c.relay, c.choices)
		}
	}
}

func TestWhichToManage(t *testing.T) {
	mine, theirs, mine2 := Relay{ID: 1, StartedBy: 5}, Relay{ID: 2, StartedBy: 6}, Relay{ID: 3, StartedBy: 5}
	may := func(r Relay) bool { return r.StartedBy == 5 }
	for _, c := range []struct {
		name           string
		open           []Relay
		relay, refused int64
		choices        int
	}{
		{"nothing open", nil, 0, 0, 0},
		{"mine among others", []Relay{mine, theirs}, 1, 0, 0},
		{"two of mine", []Relay{mine, theirs, mine2}, 0, 0, 2},
		{"only theirs: the newest is named", []Relay{theirs, Relay{ID: 4, StartedBy: 6}}, 0, 4, 0},
	} {
		r, choices, refused := whichToManage(c.open, may)
		var id, no int64
		if r != nil {
			id = r.ID
		}
		if refused != nil {
			no = refused.ID
		}
		if id != c.relay || no != c.refused || len(choices) != c.choices {
			t.Errorf("%s: relay %d refused %d choices %d, want %d %d %d", c.name, id, no, len(choices), c.relay, c.refused, c.choices)
		}
	}
}

// crossed: who moves up from the waitlist or down onto it when someone
// leaves or the limit changes.
func TestCrossed(t *testing.T) {
	var es []Entry
	for m := int64(1); m <= 5; m++ {
		es = join(es, Entry{ID: m * 10, MemberID: m})
	}
	ids := func(es []Entry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.MemberID)
		}
		return out
	}
	for _, c := range []struct {
		name           string
		after          []Entry
		capB, capA     int
		wantUp, wantDn []int64
	}{
		{"a place comes free", leave(es, 0), 2, 2, []int64{3}, nil},
		{"a waitlisted one leaves", leave(es, 3), 2, 2, nil, nil},
		{"the limit rises", es, 2, 4, []int64{3, 4}, nil},
		{"the limit goes", es, 2, 0, []int64{3, 4, 5}, nil},
		{"the limit falls", es, 4, 1, nil, []int64{2, 3, 4}},
		{"a limit comes", es, 0, 3, nil, []int64{4, 5}},
		{"nothing changes", es, 3, 3, nil, nil},
	} {
		up, down := crossed(es, c.capB, c.after, c.capA)
		if !slices.Equal(ids(up), c.wantUp) || !slices.Equal(ids(down), c.wantDn) {
			t.Errorf("%s: up %v down %v, want %v %v", c.name, ids(up), ids(down), c.wantUp, c.wantDn)
		}
	}
}
