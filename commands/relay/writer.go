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
// queues one list message per relay the batch changed. It keeps nothing
// between batches.
type writer struct {
	list func(Relay, []Entry) bot.Outgoing // the list message after a change
}

// Run applies a batch of ops.
func (w writer) Run(ctx context.Context, tx Tx, in []Op) ([]Answer, error) {
	type relayState struct {
		r       Relay
		es      []Entry
		changed bool
		at      time.Time // the last change
	}
	relays := map[int64]*relayState{}
	var order []*relayState
	out := make([]Answer, len(in))
	for i, op := range in {
		var (
			r   Relay
			err error
		)
		if op.RelayID == 0 {
			r, err = tx.NewestOpenRelay(op.ChatID, op.At)
		} else {
			r, err = tx.Relay(op.RelayID)
		}
		var found *Relay
		switch {
		case err == nil:
			found = &r
		case !errors.Is(err, bot.ErrNotFound):
			return nil, fmt.Errorf("find relay: %w", err)
		}
		res := &out[i]
		if outcome, ok := reach(found, op); !ok {
			res.Outcome = outcome
			if outcome == Closed {
				res.Relay = r
			}
			continue
		}
		st := relays[r.ID]
		if st == nil {
			es, err := tx.RelayEntries(r.ID)
			if err != nil {
				return nil, err
			}
			st = &relayState{r: r, es: es}
			relays[r.ID] = st
			order = append(order, st)
		}
		res.Relay = st.r
		var at int
		res.Outcome, at = decide(st.es, op)
		switch res.Outcome {
		case Joined:
			e := Entry{RelayID: st.r.ID, MemberID: op.MemberID, RosterID: op.RosterID, Name: op.Name, Note: op.Note, JoinedAt: op.At, UpdatedAt: op.At}
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
			st.es = leave(st.es, at)
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
	return out, nil
}
