package followup

import (
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// limitRemind is the rate limit of /remind by hand: one task is reminded
// at most once per Options.RemindEvery. It records this reminder in tx,
// or refuses, saying when the next one is allowed. Automatic rounds do
// not pass here and are not limited.
func (f *Feature) limitRemind(tx Tx, t Task, now time.Time) error {
	every := f.opts.RemindEvery
	if every <= 0 {
		return nil
	}
	last, ok, err := tx.StampRemind(t.Key(), now, every)
	if err != nil {
		return fmt.Errorf("rate limit of /remind %s %d: %w", t.Kind, t.ID, err)
	}
	if ok {
		return nil
	}
	loc := f.engine.Location()
	return bot.Errorf("%s已于 %s 手动提醒过。为免打扰，同一项每%s最多手动提醒一次，%s 以后可以再提醒（自动提醒照常）。",
		name(t), when.Format(last.In(loc), now.In(loc)), when.Span(every, when.DayAsHours), when.Format(last.Add(every).In(loc), now.In(loc)))
}
