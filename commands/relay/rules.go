package relay

import "slices"

// The relay's rules, as pure functions: which relay an op may touch, what
// a join or a leave does to the list, how places move, who crosses the
// limit, and which relay a command without a number means.

// reach is the rule for the relay an op names: r is the relay found for it
// (nil: none: the chat has no open relay, or no relay has the op's number).
// It reports the outcome that ends the op there, or ok to go on.
func reach(r *Relay, op Op) (Outcome, bool) {
	switch {
	case r == nil && op.Number == 0:
		return NoRelay, false
	case r == nil || r.ChatID != op.ChatID:
		return NotFound, false
	case !r.Open(op.At):
		return Closed, false
	}
	return 0, true
}

// same reports whether entry e is the person op is about: the same chat
// identity, the same roster entry (one person linked on two platforms, or
// added by a secretary), or, for someone neither identifies, the same name.
func same(e Entry, op Op) bool {
	switch {
	case op.MemberID != 0 && e.MemberID == op.MemberID:
		return true
	case op.RosterID != 0:
		return e.RosterID == op.RosterID
	case op.MemberID == 0:
		return e.MemberID == 0 && e.RosterID == 0 && e.Name == op.Name
	}
	return false
}

// decide is the rule for an op on a relay that takes it, whose entries are
// es in order: the outcome, and the index in es of the person's entry (-1:
// they are not on it).
func decide(es []Entry, op Op) (Outcome, int) {
	i := slices.IndexFunc(es, func(e Entry) bool { return same(e, op) })
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

// whichToLeave is the rule for a leave that names no relay: the one open
// relay of the chat the person is on. open are the chat's open relays,
// oldest first, and on reports whether the person is on one. With none on
// it says NotIn (NoRelay when nothing is open); with several, Ambiguous and
// those relays, for the person to choose.
func whichToLeave(open []Relay, on func(Relay) bool) (Outcome, *Relay, []Relay) {
	if len(open) == 0 {
		return NoRelay, nil, nil
	}
	var in []Relay
	for _, r := range open {
		if on(r) {
			in = append(in, r)
		}
	}
	switch len(in) {
	case 0:
		return NotInAny, nil, nil
	case 1:
		return 0, &in[0], nil
	}
	return Ambiguous, nil, in
}

// whichToManage is the rule for closing or changing a relay without a
// number: of the chat's open relays (oldest first), the one the caller may
// manage (may). With several, the caller must choose among them (choices);
// when they may manage none, refused is the newest open relay, for the
// answer to name. All are nil when nothing is open.
func whichToManage(open []Relay, may func(Relay) bool) (r *Relay, choices []Relay, refused *Relay) {
	var mine []Relay
	for _, o := range open {
		if may(o) {
			mine = append(mine, o)
		}
	}
	switch {
	case len(mine) == 1:
		return &mine[0], nil, nil
	case len(mine) > 1:
		return nil, mine, nil
	case len(open) > 0:
		return nil, nil, &open[len(open)-1]
	}
	return nil, nil, nil
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
	es = slices.Delete(slices.Clone(es), i, i+1)
	for j := i; j < len(es); j++ {
		es[j].Place = j + 1
	}
	return es
}

// crossed compares a list before and after a change (a leave, a new limit):
// up are the entries that were waitlisted and now have a place, down those
// that had a place and are now waitlisted, each in list order.
func crossed(before []Entry, capBefore int, after []Entry, capAfter int) (up, down []Entry) {
	was := map[int64]bool{} // entry id → waitlisted before
	for _, e := range before {
		was[e.ID] = capBefore > 0 && e.Place > capBefore
	}
	for _, e := range after {
		waiting, ok := was[e.ID]
		if !ok {
			continue
		}
		now := capAfter > 0 && e.Place > capAfter
		switch {
		case waiting && !now:
			up = append(up, e)
		case !waiting && now:
			down = append(down, e)
		}
	}
	return up, down
}
