package core

import (
	"context"
	"fmt"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

// secretarySet is the secretaries of the nearest unit, from an entry's unit
// upwards, that has any.
type secretarySet struct {
	unit    int64
	entries []bot.RosterEntry
}

func (s secretarySet) names() string {
	var ns []string
	for _, e := range s.entries {
		ns = append(ns, e.Name)
	}
	return joinSome(ns, 5)
}

// secretaries finds the secretaries who decide on an entry of unit: those
// of the unit itself, else of the nearest unit above it that has some; the
// entry exclude is never its own secretary.
func (f *Feature) secretaries(ctx context.Context, unit, exclude int64) (secretarySet, error) {
	units := f.engine.Units()
	for _, u := range append([]int64{unit}, units.Ancestors(unit)...) {
		es, err := f.db.RosterOfUnits(ctx, []int64{u})
		if err != nil {
			return secretarySet{}, err
		}
		var sec []bot.RosterEntry
		for _, e := range es {
			if e.Role == bot.RoleSecretary && e.ID != exclude {
				sec = append(sec, e)
			}
		}
		if len(sec) > 0 {
			return secretarySet{unit: u, entries: sec}, nil
		}
	}
	return secretarySet{unit: unit}, nil
}

// reachSet is where a notice for secretaries goes: their private chats,
// else the groups bound to the entry's unit.
type reachSet struct {
	chats   []bot.Chat
	private bool
}

func (f *Feature) reach(ctx context.Context, sec secretarySet, entryUnit int64) (reachSet, error) {
	ids := make([]int64, len(sec.entries))
	for i, e := range sec.entries {
		ids[i] = e.ID
	}
	links, err := f.db.LinksOfRoster(ctx, ids)
	if err != nil {
		return reachSet{}, err
	}
	var members []bot.Member
	for _, id := range ids {
		for _, l := range links[id] {
			members = append(members, l.Member)
		}
	}
	pcs, err := f.db.PrivateChatsOf(ctx, members)
	if err != nil {
		return reachSet{}, err
	}
	if len(pcs) > 0 {
		return reachSet{chats: pcs, private: true}, nil
	}
	groups, err := f.db.ChatsOfUnits(ctx, []int64{entryUnit})
	if err != nil {
		return reachSet{}, err
	}
	var out reachSet
	for _, g := range groups {
		if g.Active {
			out.chats = append(out.chats, g)
		}
	}
	return out, nil
}

// linkNotices are the messages that announce a new link of member to
// entry: to each identity linked to it already (privately where the bot
// can; replaced is the one the new link takes the place of) and, when
// toSecretary, to a secretary of the entry's unit (privately where
// possible, else in the unit's groups).
func (f *Feature) linkNotices(ctx context.Context, entry bot.RosterEntry, member bot.Member, existing []Link, replaced *bot.Member, toSecretary bool) ([]bot.Outgoing, error) {
	how := "经书记确认"
	if toSecretary {
		how = "凭绑定码"
	}
	var out []bot.Outgoing
	for _, l := range existing {
		pcs, err := f.db.PrivateChatsOf(ctx, []bot.Member{l.Member})
		if err != nil {
			return nil, err
		}
		text := fmt.Sprintf("安全提醒：你的花名册身份 %s（%s）刚刚%s绑定了新的账号「%s」。如果不是你本人操作，请立即联系书记。", entry.Name, entry.Number, how, member.Name)
		if replaced != nil && l.Member.ID == replaced.ID {
			text = fmt.Sprintf("安全提醒：你的账号已被解除与花名册身份 %s（%s）的绑定，因为该身份%s绑定了本平台的另一个账号「%s」。如果不是你本人操作，请立即联系书记。",
				entry.Name, entry.Number, how, member.Name)
		}
		for _, c := range pcs {
			out = append(out, bot.Outgoing{ChatID: c.ID, Text: text})
		}
	}
	if !toSecretary {
		return out, nil
	}
	text := fmt.Sprintf("绑定通知：%s（%s，%s）%s绑定了账号「%s」", entry.Name, entry.Number, entry.Describe(f.engine.Units()), how, member.Name)
	if replaced != nil {
		text += fmt.Sprintf("，替换了原来的账号「%s」", replaced.Name)
	}
	text += "。如有疑问，可用 /unlink " + entry.Number + " 解除。"
	more, err := f.entryNotices(ctx, entry, member.ID, "", text)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// entryNotices tells an entry's linked identities (toLinks, privately;
// skip is left out) and a secretary of its unit (toSecretaries) about
// something that happened to the entry. An empty text is not sent.
func (f *Feature) entryNotices(ctx context.Context, entry bot.RosterEntry, skip int64, toLinks, toSecretaries string) ([]bot.Outgoing, error) {
	var out []bot.Outgoing
	if toLinks != "" {
		links, err := f.db.LinksOfRoster(ctx, []int64{entry.ID})
		if err != nil {
			return nil, err
		}
		for _, l := range links[entry.ID] {
			if l.Member.ID == skip {
				continue
			}
			pcs, err := f.db.PrivateChatsOf(ctx, []bot.Member{l.Member})
			if err != nil {
				return nil, err
			}
			for _, c := range pcs {
				out = append(out, bot.Outgoing{ChatID: c.ID, Text: toLinks})
			}
		}
	}
	if strings.TrimSpace(toSecretaries) == "" {
		return out, nil
	}
	sec, err := f.secretaries(ctx, entry.UnitID, entry.ID)
	if err != nil {
		return nil, err
	}
	reach, err := f.reach(ctx, sec, entry.UnitID)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, o := range out {
		seen[o.ChatID] = true
	}
	for _, c := range reach.chats {
		if !seen[c.ID] {
			out = append(out, bot.Outgoing{ChatID: c.ID, Text: toSecretaries})
		}
	}
	return out, nil
}
