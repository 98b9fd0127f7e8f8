package relay

import "slices"

// The relay's rules, as pure functions: which relay an op may touch, what
// a join or a leave does to the list, and how places move.

// reach is the rule for the relay an op names: r is the relay found for it
// (nil: none: the chat has no open relay, or no relay has the op's number).
// It reports the outcome that ends the op there, or ok to go on.
func reach(r *Relay, op Op) (Outcome, bool) {
	switch {
	case r == nil && op.RelayID == 0:
		return NoRelay, false
	case r == nil || r.ChatID != op.ChatID:
		return NotFound, false
	case !r.Open(op.At):
		return Closed, false
	}
	return 0, true
}

// decide is the rule for an op on a relay that takes it, whose entries are
// es in order: the outcome, and the index in es of the member's entry (-1:
// the member is not on it).
func decide(es []Entry, op Op) (Outcome, int) {
	i := slices.IndexFunc(es, func(e Entry) bool { return e.MemberID == op.MemberID })
	switch {
	case op.Kind == Leave && i < 0:
		return NotIn, i
	case op.Kind == Leave:
		return Left, i
	case i < 0:
		return Joined, i
	case op.Note == "" || op.Note == es[i].Note:
		return Already, i // joining again without a new note changes nothing
	}
	return NoteChanged, i
}

// join adds e behind everyone on the list: the next place, which is on the
// waitlist once the relay's places are taken.
func join(es []Entry, e Entry) []Entry {
	e.Place = len(es) + 1
	return append(es, e)
}

// leave removes entry i. Everyone behind it moves up one place, keeping
// their order: the first on the waitlist takes the place that came free.
func leave(es []Entry, i int) []Entry {
	es = slices.Delete(es, i, i+1)
	for j := i; j < len(es); j++ {
		es[j].Place = j + 1
	}
	return es
}
