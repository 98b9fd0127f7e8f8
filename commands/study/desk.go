package study

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The desk: study completion of a unit and the units below it over a
// period, for its secretary outside a chat (the web console), with the
// scope rule of /study stats: secretaries of the unit or a unit above it,
// and admins.

// Completion is a unit's study completion over a period: the items
// published in it, and who studied them.
type Completion struct {
	From, To time.Time // the period: From inclusive, To exclusive
	Items    []ItemCompletion
	Units    []UnitCompletion   // the unit and those below it with members, in tree order
	Members  []MemberCompletion // by 学号/工号
}

// ItemCompletion is one item of the period: how many of the unit's groups
// it was pushed to, whom it is for, and who has studied it.
type ItemCompletion struct {
	Item
	Pushed   int // groups of the unit (and below) it was pushed to
	Expected int // members it is for
	Studied  []string
}

// UnitCompletion is one unit's completion: studied (member, item) pairs of
// those due.
type UnitCompletion struct {
	Unit    bot.Unit
	Members int
	Done    int
	Total   int
}

// MemberCompletion is one member's completion.
type MemberCompletion struct {
	Entry bot.RosterEntry
	Unit  string
	Done  int
	Total int
}

// Rate is the completion in percent, rounded to a tenth; 0 when nothing
// was due.
func Rate(done, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(int(1000*float64(done)/float64(total)+0.5)) / 10
}

// Pct writes a completion as /study stats does: 50%, or — when nothing
// was due.
func Pct(done, total int) string { return pct(done, total) }

// DeskCompletion is the study completion of a unit and the units below it
// over [from, to): the items published then that are meant for some unit
// of it, due for the members of the units each is for (as /study stats
// counts them), and who marked them studied (at any time).
func (f *Feature) DeskCompletion(ctx context.Context, c bot.Caller, unitID int64, from, to time.Time) (Completion, error) {
	out := Completion{From: from, To: to}
	units := f.engine.Units()
	if err := bot.RequireUnit(c, units, bot.RoleSecretary, unitID); err != nil {
		return out, err
	}
	if !from.Before(to) {
		return out, bot.Errorf("开始日期应早于结束日期。")
	}
	now := f.engine.Now()
	upTo := to.Add(-time.Millisecond)
	if now.Before(upTo) {
		upTo = now
	}
	all, err := f.db.PublishedContent(ctx, "", upTo)
	if err != nil {
		return out, fmt.Errorf("published content: %w", err)
	}
	sub := units.Subtree(unitID)
	// The items of the period some unit of the subtree is meant to study,
	// as /study stats counts them.
	var items []Item
	for _, it := range all {
		if !it.PublishedAt.Before(from) && slices.ContainsFunc(sub, func(u int64) bool { return visible(it, u, units) }) {
			items = append(items, it)
		}
	}
	entries, err := f.db.RosterOfUnits(ctx, sub)
	if err != nil {
		return out, fmt.Errorf("roster of unit %d: %w", unitID, err)
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	marks, err := f.db.StudyMarks(ctx, ids)
	if err != nil {
		return out, fmt.Errorf("study marks: %w", err)
	}
	chats, err := f.db.ChatsOfUnits(ctx, sub)
	if err != nil {
		return out, fmt.Errorf("groups of unit %d: %w", unitID, err)
	}
	chatIDs := make([]int64, len(chats))
	for i, ch := range chats {
		chatIDs[i] = ch.ID
	}
	pushed, err := f.db.PushedItems(ctx, chatIDs)
	if err != nil {
		return out, fmt.Errorf("pushed items: %w", err)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Number < entries[j].Number })
	byUnit := map[int64]*UnitCompletion{}
	for _, id := range sub {
		u, _ := units.Get(id)
		byUnit[id] = &UnitCompletion{Unit: u}
	}
	out.Items = make([]ItemCompletion, len(items))
	for k, it := range items {
		out.Items[k].Item = it
		for _, ch := range chatIDs {
			if pushed[ch][it.ID] {
				out.Items[k].Pushed++
			}
		}
	}
	for _, e := range entries {
		m := MemberCompletion{Entry: e, Unit: units.Name(e.UnitID)}
		for k, it := range items {
			if !visible(it, e.UnitID, units) {
				continue
			}
			m.Total++
			out.Items[k].Expected++
			if marks[e.ID][it.ID] {
				m.Done++
				out.Items[k].Studied = append(out.Items[k].Studied, e.Name)
			}
		}
		out.Members = append(out.Members, m)
		if u := byUnit[e.UnitID]; u != nil {
			u.Members++
			u.Done += m.Done
			u.Total += m.Total
		}
	}
	for _, id := range sub {
		if u := byUnit[id]; u.Members > 0 {
			out.Units = append(out.Units, *u)
		}
	}
	return out, nil
}
