package relay

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The desk: a unit's relays with their lists for its secretary outside a
// chat (the web console), with the scope rule of /export relay:
// secretaries of the unit or a unit above it, and admins.

// RelayList is one relay of a unit's groups with its list.
type RelayList struct {
	Relay
	Group   string // the group's title
	Open    bool   // still taking joins
	Entries []Entry
}

// Joined counts the entries within the limit, Waiting those on the
// waitlist.
func (l RelayList) Joined() int {
	if l.Cap > 0 {
		return min(len(l.Entries), l.Cap)
	}
	return len(l.Entries)
}

// Waiting counts the entries beyond the limit.
func (l RelayList) Waiting() int { return len(l.Entries) - l.Joined() }

// deskRelays bounds the relays one page shows.
const deskRelays = 30

// UnitRelays lists the relays started since since in the groups bound to a
// unit and the units below it, newest first (at most 30), each with its
// entries in order, if c may see them.
func (f *Feature) UnitRelays(ctx context.Context, c bot.Caller, unitID int64, since time.Time) ([]RelayList, error) {
	units := f.engine.Units()
	if err := bot.RequireUnit(c, units, bot.RoleSecretary, unitID); err != nil {
		return nil, err
	}
	chats, err := f.store.ChatsOfUnits(ctx, units.Subtree(unitID))
	if err != nil {
		return nil, fmt.Errorf("groups of unit %d: %w", unitID, err)
	}
	var out []RelayList
	for _, ch := range chats {
		rs, err := f.store.RelaysOfChat(ctx, ch.ID, since, deskRelays)
		if err != nil {
			return nil, fmt.Errorf("relays of chat %d: %w", ch.ID, err)
		}
		for _, rl := range rs {
			out = append(out, RelayList{Relay: rl, Group: ch.Title})
		}
	}
	slices.SortFunc(out, func(a, b RelayList) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > deskRelays {
		out = out[:deskRelays]
	}
	now := f.engine.Now()
	for i := range out {
		if out[i].Entries, err = f.store.RelayEntries(ctx, out[i].ID); err != nil {
			return nil, fmt.Errorf("entries of relay %d: %w", out[i].ID, err)
		}
		out[i].Open = out[i].Relay.Open(now)
	}
	return out, nil
}
