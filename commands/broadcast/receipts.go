package broadcast

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// Read receipts: a broadcast drafted with confirm=yes asks its readers to
// answer 收到 in the group (or press the button where the platform has
// buttons); each roster person's first confirmation is stored, and
// /broadcast status lists per unit who confirmed and who has not.

// ackWindow is how long after delivery a group's 收到 still confirms a
// notice (and the follow-up still reminds of it): followup.receipt_window.
func (f *Feature) ackWindow() time.Duration { return f.cfg.Followup.ReceiptWindow }

// ackSpan is the window as members read it: 7天, 36小时.
func (f *Feature) ackSpan() string { return when.Span(f.ackWindow(), when.DayAsDay) }

// ackNamed introduces, in a group's running line of receipts, who
// confirmed since the group last got one.
const ackNamed = "刚确认："

// acking is the Expecting hook of a bare 收到: the group got a notice that
// asks for confirmation within ackWindow.
func (f *Feature) acking(ctx context.Context, r *bot.Request) (bool, error) {
	_, err := f.db.ConfirmableBroadcast(ctx, r.Chat.ID, 0, r.Now().Add(-f.ackWindow()))
	if errors.Is(err, bot.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (f *Feature) ack(ctx context.Context, r *bot.Request) error {
	// People answer a notice as they answer anything (收到！, 收到，谢谢,
	// 收到👍): only a first word with a digit is meant as its number.
	var id int64
	if args := bot.Words(r.Command.Args); len(args) > 0 && strings.ContainsAny(args[0], "0123456789") {
		n, err := strconv.ParseInt(strings.TrimLeft(args[0], "#＃"), 10, 64)
		if err != nil || n <= 0 {
			return bot.Errorf("通知编号应是数字，例：/ack 3")
		}
		id = n
	}
	now := r.Now()
	b, err := f.db.ConfirmableBroadcast(ctx, r.Chat.ID, id, now.Add(-f.ackWindow()))
	switch {
	case errors.Is(err, bot.ErrNotFound) && id == 0:
		return bot.Errorf("本群最近%s没有要求回执的通知。", f.ackSpan())
	case errors.Is(err, bot.ErrNotFound):
		return bot.Errorf("通知 #%d 没有在最近%s发到本群，或不要求回执。", id, f.ackSpan())
	case err != nil:
		return err
	}
	if r.Caller.Roster == nil {
		return bot.Errorf("回执按花名册记录，请先绑定花名册身份。%s", bot.LinkHowTo)
	}
	var (
		added bool
		first time.Time
	)
	err = f.db.UpdateBroadcasts(ctx, now, func(tx Tx) error {
		var err error
		added, first, err = tx.AddReceipt(Receipt{BroadcastID: b.ID, RosterID: r.Caller.Roster.ID, MemberID: r.Caller.Member.ID, ChatID: r.Chat.ID, At: now})
		if err != nil || !added || r.IsButton() {
			return err
		}
		n, err := tx.CountReceipts(b.ID)
		if err != nil {
			return err
		}
		// One running line per group, replaced while unsent: a burst of
		// 收到 yields one message, naming everyone the replaced line named.
		key := fmt.Sprintf("bc:%d:acks", b.ID)
		names := r.Caller.Roster.Name
		prev, waiting, err := tx.PendingMerged(r.Chat.ID, key)
		if err != nil {
			return err
		}
		if _, earlier, ok := strings.Cut(prev, ackNamed); waiting && ok {
			names = earlier + "、" + names
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, MergeKey: key,
			Text: fmt.Sprintf("通知 #%d 已确认 %d 人，%s%s", b.ID, n, ackNamed, names)})
		return err
	})
	if err != nil {
		return fmt.Errorf("receipt of broadcast %d: %w", b.ID, err)
	}
	loc := f.engine.Location()
	switch {
	case !added:
		return r.ReplyMention(ctx, fmt.Sprintf("你已于 %s 确认过通知 #%d。", fullTime(first, loc), b.ID))
	case r.IsButton():
		return r.Reply(ctx, fmt.Sprintf("已确认收到通知 #%d。", b.ID))
	}
	return nil
}

// Receipts are a broadcast's read receipts: per unit of the broadcast's
// subtrees (those with a roster), who confirmed and who has not.
type Receipts struct {
	Expected, Done int
	Units          []UnitReceipts
}

// UnitReceipts are one unit's confirmations, by name.
type UnitReceipts struct {
	Unit    string
	Yes, No []string
}

// Total is how many of the unit should confirm.
func (u UnitReceipts) Total() int { return len(u.Yes) + len(u.No) }

func (f *Feature) receipts(ctx context.Context, b Broadcast) (Receipts, error) {
	got, err := f.db.BroadcastReceipts(ctx, b.ID)
	if err != nil {
		return Receipts{}, err
	}
	units := f.engine.Units()
	var ids []int64
	seen := map[int64]bool{}
	for _, u := range b.UnitIDs {
		for _, id := range units.Subtree(u) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	entries, err := f.db.RosterOfUnits(ctx, ids)
	if err != nil {
		return Receipts{}, err
	}
	byUnit := map[int64][]bot.RosterEntry{}
	for _, e := range entries {
		byUnit[e.UnitID] = append(byUnit[e.UnitID], e)
	}
	rc := Receipts{Expected: len(entries)}
	for _, u := range ids {
		es := byUnit[u]
		if len(es) == 0 {
			continue
		}
		ur := UnitReceipts{Unit: units.Name(u)}
		for _, e := range es {
			if _, ok := got[e.ID]; ok {
				ur.Yes = append(ur.Yes, e.Name)
			} else {
				ur.No = append(ur.No, e.Name)
			}
		}
		rc.Done += len(ur.Yes)
		rc.Units = append(rc.Units, ur)
	}
	return rc, nil
}

// lines are /broadcast status's read receipts.
func (rc Receipts) lines() []string {
	lines := []string{fmt.Sprintf("回执：应确认 %d 人，已确认 %d 人。", rc.Expected, rc.Done)}
	for _, u := range rc.Units {
		line := fmt.Sprintf("%s：已确认 %d/%d", u.Unit, len(u.Yes), u.Total())
		if len(u.No) > 0 {
			line += "；未确认：" + joinSome(u.No, 30)
		}
		lines = append(lines, line)
	}
	return lines
}

// joinSome joins names with 、, at most n of them.
func joinSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, "、")
	}
	return strings.Join(names[:n], "、") + fmt.Sprintf(" 等 %d 人", len(names))
}
