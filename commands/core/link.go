package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// iam is /iam <学号> <姓名> [绑定码]: with a valid code the identity is
// linked at once; without one an ordinary member's link waits for a
// secretary; a privileged entry needs a code. Every failure counts towards
// the identity's and the entry's limits.
func (f *Feature) iam(ctx context.Context, r *bot.Request) error {
	in, ok := ParseIAm(r.Command.Args)
	if !ok {
		return bot.Errorf("用法：/iam <学号/工号> <姓名> [绑定码]，例：/iam 2023001 张三 K7QM-4XPA")
	}
	now := r.Now()
	since := now.Add(-f.link.FailureWindow)
	if c := r.Caller.Roster; c != nil && c.Number != in.Number {
		return bot.Errorf("你已绑定为 %s（%s）。如需更改，请联系书记用 /unlink 解除后再绑定。", c.Name, c.Number)
	}
	entry, err := f.db.RosterByNumber(ctx, in.Number)
	found := err == nil
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	byMember, onEntry, err := f.db.LinkFailures(ctx, r.Caller.Member.ID, entry.ID, since)
	if err != nil {
		return err
	}
	wait := when.Span(f.link.FailureWindow, when.DayAsHours)
	if limited(byMember, f.link.MaxFailures) {
		return bot.Errorf("绑定失败次数过多，请 %s后再试。如果你确实是本人，请直接联系所在单位的书记。", wait)
	}
	if found && limited(onEntry, f.link.MaxFailuresPerEntry) {
		return bot.Errorf("学号/工号 %s 近期绑定失败的次数过多，已暂停绑定 %s。如果你确实是本人，请联系所在单位的书记。", in.Number, wait)
	}
	if args := r.Command.Args; found && in.Code == "" && len(args) >= 3 && SameName(entry.Name, strings.Join(args[1:len(args)-1], "")) {
		// Number and name match; what follows them is no code at all
		// (six digits from a text message, say).
		return f.failed(ctx, r, entry, onEntry, f.badCode())
	}
	if !found || !SameName(entry.Name, in.Name) {
		return f.failed(ctx, r, entry, onEntry, "学号/工号与姓名不符，或花名册中没有该学号/工号。请检查后重试，或联系书记。")
	}
	if r.Caller.Roster != nil {
		// Linked already to this entry; a code verifies an old link.
		if in.Code != "" {
			return f.verify(ctx, r, entry, in.Code, onEntry)
		}
		return r.ReplyMention(ctx, fmt.Sprintf("你已绑定为 %s（%s），无需重复绑定。", entry.Name, entry.Number))
	}
	if in.Code != "" {
		return f.linkByCode(ctx, r, entry, in.Code, onEntry)
	}
	if Privileged(entry) {
		return f.failed(ctx, r, entry, onEntry, fmt.Sprintf("%s（%s）是%s身份，只能凭绑定码绑定。请向管理员或上级单位的书记索取绑定码，然后发送 /iam %s %s <绑定码>。",
			entry.Name, entry.Number, roleTitle(entry), entry.Number, entry.Name))
	}
	if !f.link.ApprovalAllowed() {
		return bot.Errorf("绑定须凭绑定码：请向%s的书记索取绑定码，然后发送 /iam %s %s <绑定码>。", r.Units().Name(entry.UnitID), entry.Number, entry.Name)
	}
	return f.requestLink(ctx, r, entry)
}

// failed records a failed attempt (on entry, if it exists) and answers with
// text; the attempt that uses up an entry's allowance is reported to the
// entry's links and a secretary of its unit.
func (f *Feature) failed(ctx context.Context, r *bot.Request, entry bot.RosterEntry, onEntry int, text string) error {
	now := r.Now()
	var notes []bot.Outgoing
	if entry.ID != 0 && onEntry+1 == f.link.MaxFailuresPerEntry {
		msg := fmt.Sprintf("安全提醒：近 %s内有人绑定 %s（%s）失败 %d 次，该学号/工号的绑定已暂停。如果不是本人在尝试，请留意冒用。",
			when.Span(f.link.FailureWindow, when.DayAsHours), entry.Name, entry.Number, f.link.MaxFailuresPerEntry)
		var err error
		if notes, err = f.entryNotices(ctx, entry, 0, msg, msg); err != nil {
			return err
		}
	}
	err := f.db.UpdateLinks(ctx, now, func(tx Tx) error {
		if err := tx.AddLinkFailure(r.Caller.Member.ID, entry.ID, now.Add(-f.link.FailureWindow)); err != nil {
			return err
		}
		return queue(tx, notes...)
	})
	if err != nil {
		return err
	}
	f.log.Info("link attempt failed", "member", r.Caller.Member.ID, "roster", entry.ID)
	return bot.Errorf("%s", text)
}

// badCode is the answer to a code that is wrong, used or expired.
func (f *Feature) badCode() string {
	return fmt.Sprintf("绑定码不正确或已失效（每个绑定码只能使用一次，发放后 %s内有效，新码发出后旧码作废）。请核对后重试，或向书记索取新的绑定码。",
		when.Span(f.link.CodeTTL, when.DayAsDay))
}

// checkCode finds the entry's usable code and compares the typed one; a
// mismatch is a failed attempt.
func (f *Feature) checkCode(ctx context.Context, r *bot.Request, entry bot.RosterEntry, typed string, onEntry int) (LinkCode, error) {
	c, err := f.db.UsableLinkCode(ctx, entry.ID, r.Now())
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return c, err
	}
	if err != nil || !CodeMatches(c, typed) {
		return c, f.failed(ctx, r, entry, onEntry, f.badCode())
	}
	return c, nil
}

// linkByCode links the caller to entry with a code. The code proves the
// person: another identity of the same platform holding the entry is
// unlinked (it may be the one who took it).
func (f *Feature) linkByCode(ctx context.Context, r *bot.Request, entry bot.RosterEntry, typed string, onEntry int) error {
	code, err := f.checkCode(ctx, r, entry, typed, onEntry)
	if err != nil {
		return err
	}
	links, err := f.db.LinksOfRoster(ctx, []int64{entry.ID})
	if err != nil {
		return err
	}
	me := r.Caller.Member
	var replaced *bot.Member
	for _, l := range links[entry.ID] {
		if l.Member.Platform == me.Platform {
			replaced = &l.Member
		}
	}
	notes, err := f.linkNotices(ctx, entry, me, links[entry.ID], replaced, true)
	if err != nil {
		return err
	}
	reply := fmt.Sprintf("绑定成功：%s，%s，%s。", entry.Name, r.Units().Name(entry.UnitID), titleOr(entry))
	if replaced != nil {
		reply += fmt.Sprintf("\n该身份原来绑定的账号「%s」已解除绑定。", replaced.Name)
	}
	err = f.db.UpdateLinks(ctx, r.Now(), func(tx Tx) error {
		if err := tx.UseLinkCode(code.ID, me.ID); err != nil {
			return err
		}
		if replaced != nil {
			if _, err := tx.UnlinkMember(replaced.ID, "凭绑定码替换"); err != nil {
				return err
			}
		}
		if err := tx.WithdrawLinkRequests(me.ID); err != nil {
			return err
		}
		if err := tx.LinkMember(me.ID, entry.ID, MethodCode); err != nil {
			return err
		}
		return queue(tx, append([]bot.Outgoing{mentionReply(r, reply)}, notes...)...)
	})
	switch {
	case errors.Is(err, ErrStale):
		return bot.Errorf("%s", f.badCode())
	case errors.Is(err, ErrLinked):
		return bot.Errorf("该身份刚刚被本平台的另一个账号绑定，请重试。")
	case err != nil:
		return fmt.Errorf("link member %d to roster %d by code: %w", me.ID, entry.ID, err)
	}
	f.log.Info("identity linked", "member", me.ID, "roster", entry.ID, "method", MethodCode, "replaced", replaced != nil)
	return nil
}

// verify marks the caller's own link, made before codes existed or by
// approval, as proven by a code.
func (f *Feature) verify(ctx context.Context, r *bot.Request, entry bot.RosterEntry, typed string, onEntry int) error {
	code, err := f.checkCode(ctx, r, entry, typed, onEntry)
	if err != nil {
		return err
	}
	me := r.Caller.Member
	err = f.db.UpdateLinks(ctx, r.Now(), func(tx Tx) error {
		if err := tx.UseLinkCode(code.ID, me.ID); err != nil {
			return err
		}
		if err := tx.LinkMember(me.ID, entry.ID, MethodCode); err != nil {
			return err
		}
		return queue(tx, mentionReply(r, fmt.Sprintf("你已绑定为 %s（%s），绑定码核对无误，绑定已核实。", entry.Name, entry.Number)))
	})
	if errors.Is(err, ErrStale) {
		return bot.Errorf("%s", f.badCode())
	}
	return err
}

// requestLink stores an ordinary member's wish to be linked without a code
// and tells the secretaries of the entry's unit.
func (f *Feature) requestLink(ctx context.Context, r *bot.Request, entry bot.RosterEntry) error {
	me := r.Caller.Member
	links, err := f.db.LinksOfRoster(ctx, []int64{entry.ID})
	if err != nil {
		return err
	}
	for _, l := range links[entry.ID] {
		if l.Member.Platform == me.Platform {
			return bot.Errorf("学号/工号 %s 已在本平台绑定了另一个账号。如果那不是你，请向书记索取绑定码：凭绑定码绑定会替换原来的账号。", entry.Number)
		}
	}
	units := r.Units()
	prev, err := f.db.PendingLinkRequestOf(ctx, me.ID)
	switch {
	case err == nil && prev.RosterID == entry.ID:
		return r.ReplyMention(ctx, fmt.Sprintf("你的绑定申请 #%d（%s，%s）已提交，正在等待书记确认，请勿重复申请。也可以向书记索取绑定码，发送 /iam %s %s <绑定码> 立即绑定。",
			prev.ID, entry.Name, entry.Number, entry.Number, entry.Name))
	case err != nil && !errors.Is(err, bot.ErrNotFound):
		return err
	}
	sec, err := f.secretaries(ctx, entry.UnitID, entry.ID)
	if err != nil {
		return err
	}
	reach, err := f.reach(ctx, sec, entry.UnitID)
	if err != nil {
		return err
	}
	who := fmt.Sprintf("%s的书记", units.Name(sec.unit))
	if names := sec.names(); names != "" {
		who += "（" + names + "）"
	}
	err = f.db.UpdateLinks(ctx, r.Now(), func(tx Tx) error {
		req, err := tx.AddLinkRequest(LinkRequest{MemberID: me.ID, RosterID: entry.ID, ChatID: r.Chat.ID})
		if err != nil {
			return err
		}
		lines := []string{fmt.Sprintf("已提交绑定申请 #%d：%s（%s，%s）。等待%s确认，确认后会通知你。", req.ID, entry.Name, entry.Number, units.Name(entry.UnitID), who)}
		if prev.ID != 0 {
			lines = append(lines, fmt.Sprintf("此前的申请 #%d 已撤回。", prev.ID))
		}
		if len(reach.chats) == 0 {
			lines = append(lines, "暂时无法通知书记，请当面联系书记确认（书记发送 /links 查看申请）。")
		}
		lines = append(lines, fmt.Sprintf("也可以向书记索取绑定码，发送 /iam %s %s <绑定码> 立即绑定。", entry.Number, entry.Name))
		msgs := []bot.Outgoing{mentionReply(r, strings.Join(lines, "\n"))}
		text := fmt.Sprintf("绑定申请 #%d：账号「%s」申请绑定为 %s（%s，%s）。\n请先核实是本人，再发送 /links approve %d 确认，或 /links reject %d [理由] 拒绝。",
			req.ID, me.Name, entry.Name, entry.Number, entry.Describe(units), req.ID, req.ID)
		for _, c := range reach.chats {
			msgs = append(msgs, bot.Outgoing{ChatID: c.ID, Text: text, IdemKey: fmt.Sprintf("linkreq:%d:%d", req.ID, c.ID)})
		}
		return queue(tx, msgs...)
	})
	if err != nil {
		return fmt.Errorf("request link of member %d to roster %d: %w", me.ID, entry.ID, err)
	}
	f.log.Info("link requested", "member", me.ID, "roster", entry.ID)
	return nil
}

// request loads a pending request that the caller may decide, with its
// entry and identity.
func (f *Feature) request(ctx context.Context, r *bot.Request, usage string) (LinkRequest, bot.RosterEntry, bot.Member, error) {
	var (
		entry bot.RosterEntry
		m     bot.Member
	)
	if len(r.Command.Args) == 0 {
		return LinkRequest{}, entry, m, bot.Errorf("用法：%s", usage)
	}
	id, err := strconv.ParseInt(strings.TrimLeft(r.Command.Args[0], "#＃"), 10, 64)
	if err != nil || id <= 0 {
		return LinkRequest{}, entry, m, bot.Errorf("申请编号应是数字。用法：%s", usage)
	}
	return f.decidableRequest(ctx, r.Caller, id)
}

// decidableRequest loads pending request id that c may decide (a
// secretary of its entry's unit or above, an admin), with its entry and
// identity.
func (f *Feature) decidableRequest(ctx context.Context, c bot.Caller, id int64) (LinkRequest, bot.RosterEntry, bot.Member, error) {
	var (
		entry bot.RosterEntry
		m     bot.Member
	)
	req, err := f.db.LinkRequest(ctx, id)
	if errors.Is(err, bot.ErrNotFound) {
		return req, entry, m, bot.Errorf("没有编号为 %d 的绑定申请。发送 /links 查看待确认的申请。", id)
	}
	if err != nil {
		return req, entry, m, err
	}
	if entry, err = f.db.RosterEntry(ctx, req.RosterID); err != nil {
		return req, entry, m, fmt.Errorf("roster entry of link request %d: %w", id, err)
	}
	if err := bot.Require(c, f.engine.Units(), bot.RoleSecretary, entry.UnitID); err != nil {
		return req, entry, m, err
	}
	if req.State != RequestPending {
		return req, entry, m, bot.Errorf("绑定申请 #%d 已处理（%s）。", id, requestStateText(req.State))
	}
	if m, err = f.db.Member(ctx, req.MemberID); err != nil {
		return req, entry, m, fmt.Errorf("member of link request %d: %w", id, err)
	}
	return req, entry, m, nil
}

func requestStateText(s string) string {
	switch s {
	case RequestApproved:
		return "已确认"
	case RequestRejected:
		return "已拒绝"
	case RequestWithdrawn:
		return "已撤回或已改用绑定码"
	}
	return "待确认"
}

// approveLink is /links approve <编号>.
func (f *Feature) approveLink(ctx context.Context, r *bot.Request) error {
	req, entry, m, err := f.request(ctx, r, "/links approve <编号>")
	if err != nil {
		return err
	}
	_, err = f.approveRequest(ctx, r.Caller, req, entry, m, r.Chat.ID)
	return err
}

// approveRequest links the identity of a pending request that c may
// decide (decidableRequest) to its entry: the requester and the entry's
// other accounts are told; the acknowledgement (returned) also goes to
// ackChat unless it is 0.
func (f *Feature) approveRequest(ctx context.Context, c bot.Caller, req LinkRequest, entry bot.RosterEntry, m bot.Member, ackChat int64) (string, error) {
	if Privileged(entry) {
		return "", bot.Errorf("%s（%s）现在是%s身份，只能凭绑定码绑定，不能通过申请确认。", entry.Name, entry.Number, roleTitle(entry))
	}
	if m.RosterID != 0 {
		return "", bot.Errorf("申请人的账号已经绑定了花名册身份，该申请无需确认。")
	}
	links, err := f.db.LinksOfRoster(ctx, []int64{entry.ID})
	if err != nil {
		return "", err
	}
	notes, err := f.linkNotices(ctx, entry, m, links[entry.ID], nil, false)
	if err != nil {
		return "", err
	}
	by := c.Name()
	ack := fmt.Sprintf("已确认绑定申请 #%d：账号「%s」绑定为 %s（%s）。", req.ID, m.Name, entry.Name, entry.Number)
	err = f.db.UpdateLinks(ctx, f.engine.Now(), func(tx Tx) error {
		if err := tx.DecideLinkRequest(req.ID, RequestApproved, by, ""); err != nil {
			return err
		}
		if err := tx.LinkMember(m.ID, entry.ID, MethodApproval); err != nil {
			return err
		}
		msgs := []bot.Outgoing{toRequester(req, m, fmt.Sprintf("你的绑定申请 #%d 已由 %s 确认，绑定成功：%s，%s。", req.ID, by, entry.Name, entry.Describe(f.engine.Units())))}
		if ackChat != 0 {
			msgs = append([]bot.Outgoing{{ChatID: ackChat, Text: ack}}, msgs...)
		}
		return queue(tx, append(msgs, notes...)...)
	})
	switch {
	case errors.Is(err, ErrStale):
		return "", bot.Errorf("绑定申请 #%d 刚刚已被处理。", req.ID)
	case errors.Is(err, ErrLinked):
		return "", bot.Errorf("%s（%s）已在该平台绑定了另一个账号。如需更换，请先 /unlink %s，或给本人发绑定码。", entry.Name, entry.Number, entry.Number)
	case err != nil:
		return "", fmt.Errorf("approve link request %d: %w", req.ID, err)
	}
	f.log.Info("identity linked", "member", m.ID, "roster", entry.ID, "method", MethodApproval)
	return ack, nil
}

// rejectLink is /links reject <编号> [理由].
func (f *Feature) rejectLink(ctx context.Context, r *bot.Request) error {
	req, entry, m, err := f.request(ctx, r, "/links reject <编号> [理由]")
	if err != nil {
		return err
	}
	_, err = f.rejectRequest(ctx, r.Caller, req, entry, m, strings.TrimSpace(afterWord(r.Command.ArgText)), r.Chat.ID)
	return err
}

// rejectRequest refuses a pending request that c may decide, with an
// optional reason the requester is told; the acknowledgement (returned)
// also goes to ackChat unless it is 0.
func (f *Feature) rejectRequest(ctx context.Context, c bot.Caller, req LinkRequest, entry bot.RosterEntry, m bot.Member, reason string, ackChat int64) (string, error) {
	if n := utf8.RuneCountInString(reason); n > 200 {
		return "", bot.Errorf("理由过长（%d 字，最多 200 字）。", n)
	}
	text := fmt.Sprintf("你的绑定申请 #%d（%s，%s）未通过。", req.ID, entry.Name, entry.Number)
	if reason != "" {
		text += "理由：" + reason + "。"
	}
	text += "如有疑问请联系书记，或凭书记发放的绑定码绑定。"
	ack := fmt.Sprintf("已拒绝绑定申请 #%d（账号「%s」→ %s）。", req.ID, m.Name, entry.Name)
	err := f.db.UpdateLinks(ctx, f.engine.Now(), func(tx Tx) error {
		if err := tx.DecideLinkRequest(req.ID, RequestRejected, c.Name(), reason); err != nil {
			return err
		}
		msgs := []bot.Outgoing{toRequester(req, m, text)}
		if ackChat != 0 {
			msgs = append([]bot.Outgoing{{ChatID: ackChat, Text: ack}}, msgs...)
		}
		return queue(tx, msgs...)
	})
	if errors.Is(err, ErrStale) {
		return "", bot.Errorf("绑定申请 #%d 刚刚已被处理。", req.ID)
	}
	if err != nil {
		return "", fmt.Errorf("reject link request %d: %w", req.ID, err)
	}
	return ack, nil
}

// afterWord is s without its first word.
func afterWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\u3000' }); i >= 0 {
		return s[i:]
	}
	return ""
}

// toRequester answers a request where it was made, naming the requester in
// a group.
func toRequester(req LinkRequest, m bot.Member, text string) bot.Outgoing {
	return bot.Outgoing{ChatID: req.ChatID, Text: text, MentionMember: m.ID, IdemKey: fmt.Sprintf("linkreq:%d:decided", req.ID)}
}

// links is /links: the link state of the caller's units and the pending
// requests.
func (f *Feature) links(ctx context.Context, r *bot.Request) error {
	units := r.Units()
	var scope []int64 // nil: every unit (an admin)
	label := "全部单位"
	if !r.Caller.Admin {
		scope = units.Subtree(r.Caller.Roster.UnitID)
		label = units.Name(r.Caller.Roster.UnitID) + "及下级单位"
	}
	ids := scope
	if ids == nil {
		for _, u := range units.All() {
			ids = append(ids, u.ID)
		}
	}
	entries, links, err := EntriesWithLinks(ctx, f.db, ids)
	if err != nil {
		return err
	}
	var legacy []string
	linked := 0
	for _, e := range entries {
		if len(links[e.ID]) > 0 {
			linked++
		}
		for _, l := range links[e.ID] {
			if l.Method == MethodLegacy {
				legacy = append(legacy, fmt.Sprintf("%s（%s）", e.Name, e.Number))
				break
			}
		}
	}
	lines := []string{fmt.Sprintf("绑定情况（%s）：花名册 %d 人，已绑定 %d 人，未绑定 %d 人。", label, len(entries), linked, len(entries)-linked)}
	if len(legacy) > 0 {
		lines = append(lines, fmt.Sprintf("其中 %d 人是升级前仅凭学号和姓名绑定的，未经核实：%s。请给他们发绑定码（/linkcode），本人发送 /iam <学号> <姓名> <绑定码> 即核实；不是本人的绑定请 /unlink。",
			len(legacy), joinSome(legacy, 20)))
	}
	reqs, err := f.db.PendingLinkRequests(ctx, scope)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		lines = append(lines, "没有待确认的绑定申请。")
	} else {
		lines = append(lines, "待确认的绑定申请：")
		now, loc := r.Now(), r.Engine().Location()
		for i, q := range reqs {
			if i == 30 {
				lines = append(lines, fmt.Sprintf("……另有 %d 条", len(reqs)-30))
				break
			}
			e, err := f.db.RosterEntry(ctx, q.RosterID)
			if err != nil {
				return err
			}
			m, err := f.db.Member(ctx, q.MemberID)
			if err != nil {
				return err
			}
			lines = append(lines, fmt.Sprintf("#%d 账号「%s」→ %s（%s，%s），%s", q.ID, m.Name, e.Name, e.Number, units.Name(e.UnitID), when.Clock(q.CreatedAt.In(loc), now)))
		}
		lines = append(lines, "确认：/links approve <编号>　拒绝：/links reject <编号> [理由]")
	}
	lines = append(lines, "发绑定码（私聊）：/linkcode <学号/工号|单位>")
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

// joinSome lists at most n items, then how many more.
func joinSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "、")
	}
	return strings.Join(items[:n], "、") + fmt.Sprintf(" 等 %d 人", len(items))
}

// issueCodes is /links code <学号|单位>, answered in the caller's private
// chat only.
func (f *Feature) issueCodes(ctx context.Context, r *bot.Request) error {
	arg := strings.TrimSpace(r.Command.ArgText)
	if arg == "" {
		return bot.Errorf("用法：/linkcode <学号/工号|单位>，例：/linkcode 2023001")
	}
	units := r.Units()
	var targets []bot.RosterEntry
	if u, ok := units.ByName(arg); ok {
		if err := r.Require(bot.RoleSecretary, u.ID); err != nil {
			return err
		}
		all, links, err := EntriesWithLinks(ctx, f.db, []int64{u.ID})
		if err != nil {
			return err
		}
		for _, e := range Unlinked(all, links) {
			if IssueRefusal(r.Caller, e, units) == "" {
				targets = append(targets, e)
			}
		}
		if len(targets) == 0 {
			return r.Reply(ctx, fmt.Sprintf("%s没有需要你发绑定码的未绑定成员。单独发码：/linkcode <学号/工号>", u.Name))
		}
	} else {
		e, err := f.db.RosterByNumber(ctx, arg)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Errorf("花名册中没有学号/工号或单位「%s」。请写学号/工号（/linkcode 2023001），或写单位名称为整个单位未绑定的成员发码（/linkcode 第一党支部）。", arg)
		}
		if err != nil {
			return err
		}
		if no := IssueRefusal(r.Caller, e, units); no != "" {
			return &bot.UserError{Text: no, Denied: true}
		}
		targets = []bot.RosterEntry{e}
	}
	codes, err := IssueCodes(ctx, f.db, f.rand, targets, r.Caller.Name(), r.Now(), f.link.CodeTTL, func(tx Tx, codes []IssuedCode) error {
		lines := []string{fmt.Sprintf("绑定码（只能使用一次，%s 前有效，此前发放的绑定码已作废）：", when.Clock(codes[0].ExpiresAt.In(r.Engine().Location()), r.Now()))}
		for _, c := range codes {
			lines = append(lines, fmt.Sprintf("%s（%s）：%s　→ /iam %s %s %s", c.Entry.Name, c.Entry.Number, ShowCode(c.Code), c.Entry.Number, c.Entry.Name, ShowCode(c.Code)))
		}
		lines = append(lines, "请当面或私下交给本人，不要发在群里。")
		return queue(tx, bot.Outgoing{ChatID: r.Chat.ID, Text: strings.Join(lines, "\n")})
	})
	if err != nil {
		return err
	}
	f.log.Info("link codes issued", "by", r.Caller.Member.ID, "count", len(codes))
	return nil
}

// EntriesWithLinks lists the roster entries of the units with the
// identities linked to each.
func EntriesWithLinks(ctx context.Context, db Store, unitIDs []int64) ([]bot.RosterEntry, map[int64][]Link, error) {
	entries, err := db.RosterOfUnits(ctx, unitIDs)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	links, err := db.LinksOfRoster(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return entries, links, nil
}

// Unlinked keeps the entries no identity is linked to.
func Unlinked(entries []bot.RosterEntry, links map[int64][]Link) []bot.RosterEntry {
	var out []bot.RosterEntry
	for _, e := range entries {
		if len(links[e.ID]) == 0 {
			out = append(out, e)
		}
	}
	return out
}

// IssuedCode is a code handed out for an entry.
type IssuedCode struct {
	Entry     bot.RosterEntry
	Code      string // normalised; ShowCode prints it
	ExpiresAt time.Time
}

// IssueCodes draws a code for each entry and stores it (revoking the
// entry's earlier unused codes) in one transaction, in which then runs,
// when not nil, with the codes (to queue the message that hands them
// out). The chat's /linkcode and the command line's roster codes both
// issue through it.
func IssueCodes(ctx context.Context, db Store, rnd io.Reader, entries []bot.RosterEntry, issuer string, now time.Time, ttl time.Duration, then func(Tx, []IssuedCode) error) ([]IssuedCode, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out := make([]IssuedCode, 0, len(entries))
	stored := make([]LinkCode, 0, len(entries))
	for _, e := range entries {
		code, lc, err := NewLinkCode(rnd, e.ID, issuer, now, ttl)
		if err != nil {
			return nil, err
		}
		out = append(out, IssuedCode{Entry: e, Code: code, ExpiresAt: lc.ExpiresAt})
		stored = append(stored, lc)
	}
	err := db.UpdateLinks(ctx, now, func(tx Tx) error {
		for _, c := range stored {
			if _, err := tx.IssueLinkCode(c); err != nil {
				return err
			}
		}
		if then != nil {
			return then(tx, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("issue link codes: %w", err)
	}
	return out, nil
}

// unlink is /unlink <学号>: every identity linked to the entry is unlinked
// and told privately.
func (f *Feature) unlink(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) != 1 {
		return bot.Errorf("用法：/unlink <学号/工号>")
	}
	entry, err := f.db.RosterByNumber(ctx, r.Command.Args[0])
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("花名册中没有学号/工号 %s。", r.Command.Args[0])
	}
	if err != nil {
		return err
	}
	if err := r.Require(bot.RoleSecretary, entry.UnitID); err != nil {
		return err
	}
	links, err := f.db.LinksOfRoster(ctx, []int64{entry.ID})
	if err != nil {
		return err
	}
	ls := links[entry.ID]
	if len(ls) == 0 {
		return r.Reply(ctx, fmt.Sprintf("%s（%s）没有绑定任何账号。", entry.Name, entry.Number))
	}
	by := r.Caller.Name()
	var notes []bot.Outgoing
	for _, l := range ls {
		if l.Member.ID == r.Caller.Member.ID {
			continue
		}
		pcs, err := f.db.PrivateChatsOf(ctx, []bot.Member{l.Member})
		if err != nil {
			return err
		}
		for _, c := range pcs {
			notes = append(notes, bot.Outgoing{ChatID: c.ID, Text: fmt.Sprintf("你的账号已被 %s 解除与花名册身份 %s（%s）的绑定。如有疑问请联系书记。", by, entry.Name, entry.Number)})
		}
	}
	err = f.db.UpdateLinks(ctx, r.Now(), func(tx Tx) error {
		for _, l := range ls {
			if _, err := tx.UnlinkMember(l.Member.ID, by); err != nil {
				return err
			}
		}
		return queue(tx, append([]bot.Outgoing{{ChatID: r.Chat.ID, Text: fmt.Sprintf("已解除 %s（%s）的 %d 个账号绑定。", entry.Name, entry.Number, len(ls))}}, notes...)...)
	})
	if err != nil {
		return fmt.Errorf("unlink roster %d: %w", entry.ID, err)
	}
	f.log.Info("identity unlinked", "roster", entry.ID, "links", len(ls), "by", r.Caller.Member.ID)
	return nil
}

// howLinked is how the caller's link was made, for /whoami.
func (f *Feature) howLinked(ctx context.Context, c bot.Caller) string {
	links, err := f.db.LinksOfRoster(ctx, []int64{c.Roster.ID})
	if err != nil {
		return ""
	}
	for _, l := range links[c.Roster.ID] {
		if l.Member.ID == c.Member.ID {
			if m, ok := methodText[l.Method]; ok {
				return "（" + m + "）"
			}
			return ""
		}
	}
	return ""
}

// mentionReply is an answer to the caller that names them in a group.
func mentionReply(r *bot.Request, text string) bot.Outgoing {
	out := bot.Outgoing{ChatID: r.Chat.ID, Text: text}
	if r.Chat.Kind == bot.Group {
		out.MentionMember = r.Caller.Member.ID
	}
	return out
}

// queue queues messages in tx, in order.
func queue(tx Tx, msgs ...bot.Outgoing) error {
	for _, m := range msgs {
		if _, _, err := tx.Enqueue(m); err != nil {
			return err
		}
	}
	return nil
}
