package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// What a relay's starter and the group's secretaries do beside joining:
// change its terms, close it, and add or remove someone who cannot type
// (代接龙); and the notices that tell people they crossed the limit.

// maxProxyName is the longest name a secretary may give for someone not on
// the roster.
const maxProxyName = 20

// terms reads limit= and until= into rl: a number of places or 不限, a time
// still to come or 不限.
func terms(opts map[string]string, rl *Relay, now time.Time) error {
	for k, v := range opts {
		switch k {
		case "limit":
			if v == "不限" {
				rl.Cap = 0
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxCap {
				return bot.Errorf("limit=%s 不对：人数应为 1–%d 的整数，或写 limit=不限。", v, maxCap)
			}
			rl.Cap = n
		case "until":
			if v == "不限" {
				rl.Until = time.Time{}
				continue
			}
			t, err := when.Parse(v, now)
			if err != nil {
				return bot.Errorf("until=%s：%v", v, err)
			}
			if !t.After(now) {
				return bot.Errorf("截止时间 %s 已经过了。", when.Format(t, now))
			}
			rl.Until = t
		default:
			return bot.Errorf("不认识的选项 %s=，可用：limit=人数、until=截止时间、for=单位（发起时），或写 人数=、截止=、单位=", k)
		}
	}
	return nil
}

// mayManage reports whether the caller may close or change rl: its starter,
// a secretary of the group's unit, or an admin.
func mayManage(r *bot.Request, rl Relay) bool {
	return rl.StartedBy == r.Caller.Member.ID || r.Caller.Admin || r.Chat.UnitID != 0 && r.Can(bot.RoleSecretary)
}

// managed is the relay a close or an edit acts on: the one numbered by the
// first argument, or the one the caller may manage (whichToManage); verb
// names the act in the answers ("结束", "修改"). It returns the arguments
// after the number.
func (f *Feature) managed(ctx context.Context, r *bot.Request, verb string) (Relay, []string, error) {
	n, rest, err := number(r.Command.Args)
	if err != nil {
		return Relay{}, nil, err
	}
	refuse := func(rl Relay) error {
		return bot.Errorf("只有发起人或本群单位的书记可以%s接龙 #%d。", verb, rl.Seq)
	}
	if n != 0 {
		rl, err := f.store.RelayByNumber(ctx, r.Chat.ID, n)
		if errors.Is(err, bot.ErrNotFound) {
			return rl, nil, bot.Errorf("本群没有编号为 #%d 的接龙。", n)
		}
		if err != nil {
			return rl, nil, err
		}
		if !mayManage(r, rl) {
			return rl, nil, refuse(rl)
		}
		return rl, rest, nil
	}
	open, err := f.store.OpenRelays(ctx, r.Chat.ID, r.Now())
	if err != nil {
		return Relay{}, nil, err
	}
	rl, choices, refused := whichToManage(open, func(rl Relay) bool { return mayManage(r, rl) })
	switch {
	case rl != nil:
		return *rl, rest, nil
	case len(choices) > 0:
		return Relay{}, nil, bot.Errorf("本群有 %d 个你可以%s的接龙：%s。请写明编号，例：/relay %s #%d。",
			len(choices), verb, relayList(choices), r.Spec.Name, choices[len(choices)-1].Seq)
	case refused != nil:
		return Relay{}, nil, refuse(*refused)
	}
	return Relay{}, nil, bot.Errorf("本群当前没有进行中的接龙。")
}

// edit is /relay edit [#编号] [limit=人数] [until=截止时间].
func (f *Feature) edit(ctx context.Context, r *bot.Request) error {
	rl, rest, err := f.managed(ctx, r, "修改")
	if err != nil {
		return err
	}
	pos, opts := bot.SplitOptions(rest)
	if len(pos) > 0 || len(opts) == 0 {
		return bot.Errorf("用法：/relay edit [#编号] [limit=人数] [until=截止时间]，例：/relay edit #%d limit=30 until=周五18:00", rl.Seq)
	}
	now := r.Now()
	changed := rl
	if err := terms(opts, &changed, now); err != nil {
		return err
	}
	editor := r.Caller.Name()
	err = f.store.UpdateRelays(ctx, now, func(tx Tx) error {
		cur, err := tx.Relay(rl.ID)
		if err != nil {
			return err
		}
		if !cur.Open(now) {
			return bot.Errorf("接龙 #%d「%s」已结束，不能修改。", cur.Seq, cur.Title)
		}
		next := cur
		next.Cap, next.Until = changed.Cap, changed.Until
		if err := tx.SetRelayTerms(cur.ID, next.Cap, next.Until); err != nil {
			return err
		}
		es, err := tx.RelayEntries(cur.ID)
		if err != nil {
			return err
		}
		up, down := crossed(es, cur.Cap, es, next.Cap)
		if err := tx.EnqueueSnapshots([]bot.Outgoing{f.list(next, es)}, []time.Time{now}); err != nil {
			return fmt.Errorf("queue list: %w", err)
		}
		if _, _, err := tx.Enqueue(bot.Outgoing{ChatID: cur.ChatID, Text: f.edited(next, editor, up, down, now)}); err != nil {
			return fmt.Errorf("queue change notice: %w", err)
		}
		return nil
	})
	if err != nil {
		var ue *bot.UserError
		if errors.As(err, &ue) {
			return err
		}
		return fmt.Errorf("edit relay %d: %w", rl.ID, err)
	}
	return nil
}

// edited tells the group what changed on rl and who crossed its limit.
func (f *Feature) edited(rl Relay, editor string, up, down []Entry, now time.Time) string {
	limit, until := "不限人数", "不设截止时间"
	if rl.Cap > 0 {
		limit = fmt.Sprintf("限 %d 人", rl.Cap)
	}
	if !rl.Until.IsZero() {
		until = "截止 " + when.Format(rl.Until.In(f.engine.Location()), now)
	}
	lines := []string{fmt.Sprintf("%s 修改了接龙 #%d「%s」：%s，%s。", editor, rl.Seq, rl.Title, limit, until)}
	if len(up) > 0 {
		lines = append(lines, entryNames(up)+" 由候补转为正式报名。")
	}
	if len(down) > 0 {
		lines = append(lines, entryNames(down)+" 转为候补。")
	}
	return strings.Join(lines, "\n")
}

// notice tells whoever leaves moved up from the waitlist: by mention when it
// is one member, by name otherwise.
func (f *Feature) notice(rl Relay, up, _ []Entry) []bot.Outgoing {
	if len(up) == 0 {
		return nil
	}
	if len(up) == 1 {
		e := up[0]
		if e.MemberID != 0 && e.ProxyName == "" {
			return []bot.Outgoing{{ChatID: rl.ChatID, MentionMember: e.MemberID,
				Text: fmt.Sprintf("有人退出，你已从候补转为正式报名：接龙 #%d「%s」%s。", rl.Seq, rl.Title, place(rl, e.Place))}}
		}
		return []bot.Outgoing{{ChatID: rl.ChatID,
			Text: fmt.Sprintf("有人退出，%s 已从候补转为正式报名：接龙 #%d「%s」%s。", entryNames(up), rl.Seq, rl.Title, place(rl, e.Place))}}
	}
	return []bot.Outgoing{{ChatID: rl.ChatID,
		Text: fmt.Sprintf("有人退出，%s 已从候补转为正式报名：接龙 #%d「%s」。", entryNames(up), rl.Seq, rl.Title)}}
}

func entryNames(es []Entry) string {
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name
	}
	return strings.Join(names, "、")
}

// proxyOp reads [#编号] <姓名或学号> [备注] of /relay add and remove into an
// op for that person, made by the calling secretary.
func (f *Feature) proxyOp(ctx context.Context, r *bot.Request, kind OpKind) (Op, error) {
	usage := r.Spec.Usage
	n, rest, err := number(r.Command.Args)
	if err != nil {
		return Op{}, err
	}
	if len(rest) == 0 || kind == Leave && len(rest) > 1 {
		return Op{}, bot.Errorf("用法：%s，例：%s", usage, map[OpKind]string{Join: "/relay add #2 王五 带家属", Leave: "/relay remove #2 王五"}[kind])
	}
	who, note := rest[0], strings.Join(rest[1:], " ")
	if utf8.RuneCountInString(note) > maxNote {
		return Op{}, bot.Errorf("备注太长（最多 %d 字）。", maxNote)
	}
	e, err := f.person(ctx, r, who)
	if err != nil {
		return Op{}, err
	}
	return Op{Kind: kind, ChatID: r.Chat.ID, Number: n, RosterID: e.ID, Name: e.Name, Note: note, At: r.Now(),
		AddedBy: r.Caller.Member.ID, ProxyName: r.Caller.Name()}, nil
}

// person finds whom a secretary names: a roster entry by 学号/工号, else by
// name among the roster of the group's unit (the whole roster in a group
// bound to none); someone not on it by the name as written (ID 0).
func (f *Feature) person(ctx context.Context, r *bot.Request, who string) (bot.RosterEntry, error) {
	if e, err := f.store.RosterByNumber(ctx, who); err == nil {
		return e, nil
	} else if !errors.Is(err, bot.ErrNotFound) {
		return e, err
	}
	units := r.Units()
	ids := units.Subtree(r.Chat.UnitID)
	if r.Chat.UnitID == 0 {
		for _, u := range units.All() {
			ids = append(ids, u.ID)
		}
	}
	roster, err := f.store.RosterOfUnits(ctx, ids)
	if err != nil {
		return bot.RosterEntry{}, err
	}
	var found []bot.RosterEntry
	for _, e := range roster {
		if e.Name == who {
			found = append(found, e)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return bot.RosterEntry{}, bot.Errorf("花名册中有 %d 个「%s」，请写学号/工号。", len(found), who)
	case asciiOnly(who):
		return bot.RosterEntry{}, bot.Errorf("花名册中没有学号/工号 %s。不在花名册上的人请写姓名。", who)
	case utf8.RuneCountInString(who) > maxProxyName:
		return bot.RosterEntry{}, bot.Errorf("姓名太长（最多 %d 字）。", maxProxyName)
	}
	return bot.RosterEntry{Name: who}, nil
}

func asciiOnly(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// add is /relay add [#编号] <姓名或学号> [备注] (代接龙).
func (f *Feature) add(ctx context.Context, r *bot.Request) error {
	op, err := f.proxyOp(ctx, r, Join)
	if err != nil {
		return err
	}
	res, err := f.batcher.Do(ctx, op)
	if err != nil {
		return err
	}
	rl := res.Relay
	switch res.Outcome {
	case Joined, NoteChanged:
		return nil // the updated list is the answer
	case Already:
		return r.Reply(ctx, fmt.Sprintf("%s 已在接龙 #%d「%s」中，%s。", op.Name, rl.Seq, rl.Title, place(rl, res.Place)))
	}
	return f.refusal(res, op.Number, op.Name)
}

// remove is /relay remove [#编号] <姓名或学号>.
func (f *Feature) remove(ctx context.Context, r *bot.Request) error {
	op, err := f.proxyOp(ctx, r, Leave)
	if err != nil {
		return err
	}
	res, err := f.batcher.Do(ctx, op)
	if err != nil {
		return err
	}
	if res.Outcome == Left {
		return nil // the updated list is the answer
	}
	return f.refusal(res, op.Number, op.Name)
}
