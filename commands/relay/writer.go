package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// writer is the feature's side of the relay Batcher (it implements Batch):
// it reads each relay a batch touches and its entries once, applies the
// rules to every op in order in memory, stores each decided change, and
// queues one list message per relay the batch changed, then a notice naming
// whoever a leave moved up from the waitlist. It keeps nothing between
// batches.
type writer struct {
	list   func(Relay, []Entry) bot.Outgoing              // the list message after a change
	notice func(r Relay, up, down []Entry) []bot.Outgoing // who crossed the limit
}

// relayState is a relay the batch touched, with its entries as they stand.
type relayState struct {
	r       Relay
	es      []Entry
	changed bool
	at      time.Time // the last change
	up      []Entry   // moved up from the waitlist by leaves of this batch
}

// Run applies a batch of ops.
func (w writer) Run(ctx context.Context, tx Tx, in []Op) ([]Answer, error) {
	relays := map[int64]*relayState{}
	var order []*relayState
	state := func(r Relay) (*relayState, error) {
		if st := relays[r.ID]; st != nil {
			return st, nil
		}
		es, err := tx.RelayEntries(r.ID)
		if err != nil {
			return nil, err
		}
		st := &relayState{r: r, es: es}
		relays[r.ID] = st
		order = append(order, st)
		return st, nil
	}
	out := make([]Answer, len(in))
	for i, op := range in {
		res := &out[i]
		st, err := w.find(tx, op, res, state)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		res.Relay = st.r
		var at int
		res.Outcome, at = decide(st.es, op)
		switch res.Outcome {
		case Joined:
			e := Entry{RelayID: st.r.ID, MemberID: op.MemberID, RosterID: op.RosterID, Name: op.Name, Note: op.Note,
				JoinedAt: op.At, UpdatedAt: op.At, AddedBy: op.AddedBy, ProxyName: op.ProxyName}
			if e.ID, err = tx.AddRelayEntry(e); err != nil {
				return nil, err
			}
			st.es = join(st.es, e)
			res.Place = len(st.es)
		case NoteChanged:
			e := &st.es[at]
			if err := tx.SetRelayNote(e.ID, op.Note, op.At); err != nil {
				return nil, err
			}
			e.Note, e.UpdatedAt = op.Note, op.At
			res.Place = e.Place
		case Already:
			res.Place = st.es[at].Place
			continue
		case Left:
			if err := tx.RemoveRelayEntry(st.es[at].ID); err != nil {
				return nil, err
			}
			before := st.es
			st.es = leave(st.es, at)
			up, _ := crossed(before, st.r.Cap, st.es, st.r.Cap)
			st.up = append(st.up, up...)
		default: // NotIn
			continue
		}
		st.changed, st.at = true, op.At
	}
	var (
		msgs []bot.Outgoing
		ats  []time.Time
	)
	for _, st := range order {
		if st.changed {
			msgs = append(msgs, w.list(st.r, st.es))
			ats = append(ats, st.at)
		}
	}
	if err := tx.EnqueueSnapshots(msgs, ats); err != nil {
		return nil, fmt.Errorf("queue lists: %w", err)
	}
	for _, st := range order {
		if up := stillOn(st.up, st.es); len(up) > 0 {
			for _, m := range w.notice(st.r, up, nil) {
				if _, _, err := tx.Enqueue(m); err != nil {
					return nil, fmt.Errorf("queue move-up notice: %w", err)
				}
			}
		}
	}
	return out, nil
}

// find is the relay op acts on, with its state, or nil with res's outcome
// set when the op ends before (reach, whichToLeave).
func (w writer) find(tx Tx, op Op, res *Answer, state func(Relay) (*relayState, error)) (*relayState, error) {
	if op.Kind == Leave && op.Number == 0 {
		open, err := tx.OpenRelaysAt(op.ChatID, op.At)
		if err != nil {
			return nil, fmt.Errorf("open relays: %w", err)
		}
		var failed error
		on := func(r Relay) bool {
			st, err := state(r)
			if err != nil {
				failed = err
				return false
			}
			_, i := decide(st.es, op)
			return i >= 0
		}
		outcome, r, choices := whichToLeave(open, on)
		if failed != nil {
			return nil, failed
		}
		if r == nil {
			res.Outcome, res.Choices = outcome, choices
			return nil, nil
		}
		return state(*r)
	}
	var (
		r   Relay
		err error
	)
	if op.Number == 0 {
		r, err = tx.NewestOpenRelay(op.ChatID, op.At)
	} else {
		r, err = tx.RelayByNumber(op.ChatID, op.Number)
	}
	var found *Relay
	switch {
	case err == nil:
		found = &r
	case !errors.Is(err, bot.ErrNotFound):
		return nil, fmt.Errorf("find relay: %w", err)
	}
	if outcome, ok := reach(found, op); !ok {
		res.Outcome = outcome
		if outcome == Closed {
			res.Relay = r
		}
		return nil, nil
	}
	return state(r)
}

// stillOn keeps the entries of up that are still on es with a place (one
// who moved up and left in the same batch is not told).
func stillOn(up, es []Entry) []Entry {
	var out []Entry
	for _, u := range up {
		for _, e := range es {
			if e.ID == u.ID {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
