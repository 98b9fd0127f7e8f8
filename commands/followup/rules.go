package followup

import (
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The follow-up's rules, as pure functions: who of the expected has done a
// task, how each of the others is reached, which reminder round is due,
// and the quiet hours.

// Person is one roster entry expected to do a task, with the chat
// identities linked to it.
type Person struct {
	Entry      bot.RosterEntry
	Identities []Identity
}

// Progress splits a task's expected roster: who has done it, who is on
// approved leave, who has not and can be reminded, and who has not and has
// no chat identity at all.
type Progress struct {
	Done, Leave, Pending, Unlinked []Person
}

// Expected is how many are expected.
func (p Progress) Expected() int {
	return len(p.Done) + len(p.Leave) + len(p.Pending) + len(p.Unlinked)
}

// progress is the rule for a task's progress: expected are the roster
// entries of its unit (in roster order), done those who have done it,
// leave those on approved leave (never reminded), ids the identities
// linked to each entry.
func progress(expected []bot.RosterEntry, done, leave map[int64]bool, ids map[int64][]Identity) Progress {
	var p Progress
	for _, e := range expected {
		who := Person{Entry: e, Identities: ids[e.ID]}
		switch {
		case done[e.ID]:
			p.Done = append(p.Done, who)
		case leave[e.ID]:
			p.Leave = append(p.Leave, who)
		case len(who.Identities) == 0:
			p.Unlinked = append(p.Unlinked, who)
		default:
			p.Pending = append(p.Pending, who)
		}
	}
	return p
}

// Delivery is a private reminder to one person.
type Delivery struct {
	ChatID int64
	Person Person
}

// route is the rule for how each pending person is reminded: privately
// where a platform that has private chats has one with one of their
// identities (the task's own platform first), otherwise by name in the
// task's group (mentioned where they have an identity there).
func route(pending []Person, platform string, capsOf func(string) bot.Capabilities) (private []Delivery, group []Person) {
	for _, p := range pending {
		best := int64(0)
		for _, id := range p.Identities {
			if id.PrivateChat == 0 || !capsOf(id.Member.Platform).Private {
				continue
			}
			if best == 0 || id.Member.Platform == platform {
				best = id.PrivateChat
			}
			if id.Member.Platform == platform {
				break
			}
		}
		if best != 0 {
			private = append(private, Delivery{ChatID: best, Person: p})
		} else {
			group = append(group, p)
		}
	}
	return private, group
}

// chunks cuts people into groups of at most n, for group reminders that
// name everyone in messages a platform accepts.
func chunks(people []Person, n int) [][]Person {
	var out [][]Person
	for len(people) > n {
		out = append(out, people[:n])
		people = people[n:]
	}
	if len(people) > 0 {
		out = append(out, people)
	}
	return out
}

// Quiet is the span of the day in which no automatic reminder is sent,
// as offsets from midnight; it may cross midnight (22:00–07:30). Start
// equal to End means none.
type Quiet struct{ Start, End time.Duration }

// Holds reports whether t (in its own location) is in the quiet hours.
func (q Quiet) Holds(t time.Time) bool {
	if q.Start == q.End {
		return false
	}
	c := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if q.Start < q.End {
		return c >= q.Start && c < q.End
	}
	return c >= q.Start || c < q.End
}

// Round is what the ticker does for one task now: send the reminder round
// of offset Send (when SendOK), and record the rounds Skip as skipped.
type Round struct {
	Send   time.Duration
	SendOK bool
	Skip   []time.Duration
}

// Empty reports whether there is nothing to do.
func (r Round) Empty() bool { return !r.SendOK && len(r.Skip) == 0 }

// due is the rule for a task's automatic reminders at now. Of the offsets
// whose instant (deadline + offset) has come and whose round is not
// handled yet, the latest is sent and the older ones are skipped (one
// reminder, not a burst, after a pause); a round whose instant was before
// the task was made is skipped (a relay started an hour before its
// deadline gets no "one day left"). Nothing is done for a task without a
// deadline, past it, or no longer taking part (closed, a full relay),
// and nothing in the quiet hours: a round due then waits for their end
// and lapses if the deadline comes first.
func due(t Task, offsets []time.Duration, handled []time.Duration, now time.Time, q Quiet) Round {
	var r Round
	if t.Deadline.IsZero() || t.Closed || !now.Before(t.Deadline) || (t.Cap > 0 && t.Taken >= t.Cap) || q.Holds(now) {
		return r
	}
	var ripe []time.Duration
	for _, o := range offsets {
		if slices.Contains(handled, o) || t.Deadline.Add(o).After(now) {
			continue
		}
		ripe = append(ripe, o)
	}
	if len(ripe) == 0 {
		return r
	}
	slices.Sort(ripe)
	last := ripe[len(ripe)-1]
	r.Skip = ripe[:len(ripe)-1]
	if t.Deadline.Add(last).Before(t.Created) {
		r.Skip = ripe
		return r
	}
	r.Send, r.SendOK = last, true
	return r
}

// streak is the rule for a member's run of misses: missed are their
// outcomes in the sessions that expected them, the latest first; it counts
// the misses before the latest attendance (checked in, made up, or on
// approved leave). A member is flagged when the streak reaches the
// configured length exactly: once per streak.
func streak(missed []bool) int {
	n := 0
	for _, m := range missed {
		if !m {
			break
		}
		n++
	}
	return n
}
