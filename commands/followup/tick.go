package followup

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// tasksPerTx is how many tasks' reminder rounds one transaction records
// with their reminders: a large tick does not hold the writer for long.
const tasksPerTx = 200

// Tick flags members who missed check-ins in a row (see flagMisses) and
// sends the automatic reminder rounds that are due (see due): for each
// open task of a kind with offsets whose round has come, the reminders of
// that round and the record of it commit together, so a round is sent once
// whatever restarts or second processes there are.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	if err := f.flagMisses(ctx, now); err != nil {
		return err
	}
	open, err := f.store.OpenTasks(ctx, now)
	if err != nil {
		return err
	}
	// Only tasks whose earliest offset has come can have a round due.
	var near []Task
	for _, t := range open {
		offs := f.opts.Offsets[t.Kind]
		if len(offs) == 0 || t.Deadline.IsZero() || t.Deadline.Add(slices.Min(offs)).After(now) {
			continue
		}
		near = append(near, t)
	}
	if len(near) == 0 {
		return nil
	}
	runs, err := f.store.FollowupRuns(ctx, near)
	if err != nil {
		return err
	}
	type work struct {
		task  Task
		round Round
	}
	var todo []work
	var sending []Task
	for _, t := range near {
		r := due(t, f.opts.Offsets[t.Kind], runs[t.Key()], now.In(f.engine.Location()), f.opts.Quiet)
		if r.Empty() {
			continue
		}
		todo = append(todo, work{t, r})
		if r.SendOK {
			sending = append(sending, t)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	progress, err := f.load(ctx, sending)
	if err != nil {
		return err
	}
	for start := 0; start < len(todo); start += tasksPerTx {
		batch := todo[start:min(start+tasksPerTx, len(todo))]
		err := f.store.UpdateFollowup(ctx, now, func(tx Tx) error {
			for _, w := range batch {
				k := w.task.Key()
				for _, o := range w.round.Skip {
					if _, err := tx.ClaimRun(k, o, "skipped", 0); err != nil {
						return err
					}
				}
				if !w.round.SendOK {
					continue
				}
				p := progress[k]
				key := fmt.Sprintf("fu:%s:%d:%d", k.Kind, k.ID, int64(w.round.Send/time.Second))
				outs, private, group, _, err := f.reminders(ctx, w.task, p, key, now)
				if err != nil {
					return err
				}
				claimed, err := tx.ClaimRun(k, w.round.Send, "sent", len(private)+len(group))
				if err != nil {
					return err
				}
				if !claimed {
					continue // another process sent this round
				}
				for _, o := range outs {
					if _, _, err := tx.Enqueue(o); err != nil {
						return fmt.Errorf("queue reminder of %s %d: %w", k.Kind, k.ID, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reminder rounds: %w", err)
		}
	}
	return nil
}
