package broadcast

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/configs"
)

// The review chain's rules, as pure functions: storage stores what they
// decide.

// initialStatus is the status of a new broadcast under a review chain of
// levels levels: without review it is sent at once.
func initialStatus(levels int) string {
	if levels == 0 {
		return StatusSent
	}
	return StatusReview
}

// approved is b after its current level approved it at now, under a chain
// of levels levels: the last level's approval sends it.
func approved(b Broadcast, levels int, now time.Time) Broadcast {
	b.Level, b.UpdatedAt = b.Level+1, now
	if b.Level >= levels {
		b.Status = StatusSent
	}
	return b
}

// rejected is b after a reviewer rejected it at now: any level's rejection
// ends it.
func rejected(b Broadcast, now time.Time) Broadcast {
	b.Status, b.UpdatedAt = StatusRejected, now
	return b
}

// canReview reports whether the caller is a reviewer of level l: by roster
// title or by number.
func canReview(c bot.Caller, l configs.ReviewLevel) bool {
	if c.Roster == nil {
		return false
	}
	return slices.Contains(l.Titles, c.Roster.Title) || slices.Contains(l.Members, c.Roster.Number)
}

// isReviewer reports whether the caller reviews some level of any of the
// configured chains (unit name → chain).
func isReviewer(c bot.Caller, chains map[string][]configs.ReviewLevel) bool {
	for _, chain := range chains {
		for _, l := range chain {
			if canReview(c, l) {
				return true
			}
		}
	}
	return false
}

// isAuthor reports whether the caller wrote b: the same account, or any
// account of the same roster person (an author linked on two platforms).
func isAuthor(b Broadcast, c bot.Caller) bool {
	return b.AuthorMember == c.Member.ID || b.AuthorRoster != 0 && c.Roster != nil && c.Roster.ID == b.AuthorRoster
}

// reviewRefusal says why the caller may not decide b's current level under
// chain, or is nil when they may: b must wait for review at a level the
// chain still has, and the caller must be that level's reviewer and not the
// author.
func reviewRefusal(b Broadcast, chain []configs.ReviewLevel, c bot.Caller) error {
	switch b.Status {
	case StatusSent:
		return bot.Errorf("通知 #%d 已审核通过并发出，无需再审。", b.ID)
	case StatusRejected:
		return bot.Errorf("通知 #%d 已被驳回。", b.ID)
	case StatusCancelled:
		return bot.Errorf("通知 #%d 已被撤回，无需再审。", b.ID)
	}
	if b.Level >= len(chain) {
		return bot.Errorf("通知 #%d 的审核流程已更改，请联系管理员。", b.ID)
	}
	if isAuthor(b, c) {
		return bot.Errorf("不能审核自己提交的通知 #%d。", b.ID)
	}
	if !canReview(c, chain[b.Level]) {
		return bot.Errorf("通知 #%d 正在等待「%s」，你不是该级审核人。", b.ID, levelName(chain, b.Level))
	}
	return nil
}

// reviewer is one reviewer of a level as the feature found them: their
// roster entry, the identities linked to it, the private chats those have
// with the bot, and the groups bound to the reviewer's own unit.
type reviewer struct {
	entry   bot.RosterEntry
	members []bot.Member
	private []bot.Chat
	groups  []bot.Chat
}

// notice is one place a reviewer hears of a draft: a chat, and the
// reviewer's identity on its platform to name them with (0: none linked
// there).
type notice struct {
	chat     bot.Chat
	mention  int64
	rosterID int64
	name     string
}

// reach is where a level's reviewers hear of a draft.
type reach struct {
	private []notice // private chats with the bot
	groups  []notice // groups, for reviewers who never wrote privately
	nowhere []string // reviewers the bot cannot tell at all
	none    bool     // the level has no reviewer on the roster
}

// reachReviewers decides where each reviewer of a level hears of a draft:
// in every private chat they have with the bot; one who never wrote to the
// bot privately, in the active groups bound to their own unit and to the
// reviewing unit (unitGroups), named with a mention on each group's platform
// where they linked an identity; one with neither, nowhere (the author is
// told whom to contact).
func reachReviewers(rs []reviewer, unitGroups []bot.Chat) reach {
	var out reach
	out.none = len(rs) == 0
	for _, r := range rs {
		if len(r.private) > 0 {
			for _, c := range r.private {
				out.private = append(out.private, notice{chat: c, rosterID: r.entry.ID, name: r.entry.Name})
			}
			continue
		}
		seen := map[int64]bool{}
		found := false
		for _, c := range append(append([]bot.Chat(nil), r.groups...), unitGroups...) {
			if seen[c.ID] || c.Kind != bot.Group || !c.Active {
				continue
			}
			seen[c.ID] = true
			n := notice{chat: c, rosterID: r.entry.ID, name: r.entry.Name}
			for _, m := range r.members {
				if m.Platform == c.Platform {
					n.mention = m.ID
				}
			}
			out.groups = append(out.groups, n)
			found = true
		}
		if !found {
			out.nowhere = append(out.nowhere, r.entry.Name)
		}
	}
	return out
}

// told says, for the author, who heard of their draft and where (and whom
// the bot could not tell), for the level named level.
func (r reach) told(level string) string {
	if r.none {
		return fmt.Sprintf("没有找到「%s」的审核人（花名册中没有相应的职务或工号），请联系管理员检查审核流程。", level)
	}
	var lines []string
	var names []string
	for _, n := range r.private {
		if !slices.Contains(names, n.name) {
			names = append(names, n.name)
		}
	}
	if len(names) > 0 {
		lines = append(lines, "已私信通知审核人："+strings.Join(names, "、")+"。")
	}
	where := map[string][]string{}
	var order []string
	for _, n := range r.groups {
		if _, ok := where[n.name]; !ok {
			order = append(order, n.name)
		}
		where[n.name] = append(where[n.name], "「"+n.chat.Title+"」")
	}
	for _, name := range order {
		lines = append(lines, fmt.Sprintf("%s 没有私聊过机器人，已在群%s提醒。", name, strings.Join(where[name], "")))
	}
	if len(r.nowhere) > 0 {
		lines = append(lines, fmt.Sprintf("无法通知 %s（没有私聊过机器人，所在单位也没有绑定的群），请直接联系。", strings.Join(r.nowhere, "、")))
	}
	return strings.Join(lines, "\n")
}

// cancelRefusal says why the caller may not withdraw b at now, or is nil:
// only its author or an admin may, and only before it goes out (a draft
// under review, or a scheduled notice whose time has not come).
func cancelRefusal(b Broadcast, c bot.Caller, now time.Time, loc *time.Location) error {
	if !c.Admin && !isAuthor(b, c) {
		return bot.Errorf("只有通知 #%d 的提交人或管理员可以撤回它。", b.ID)
	}
	switch b.Status {
	case StatusCancelled:
		return bot.Errorf("通知 #%d 已经撤回了。", b.ID)
	case StatusRejected:
		return bot.Errorf("通知 #%d 已被驳回，不会发出，无需撤回。", b.ID)
	case StatusSent:
		if !b.SendAt.After(now) {
			return bot.Errorf("通知 #%d 已于 %s 发出，无法撤回。", b.ID, fullTime(sentAt(b), loc))
		}
	}
	return nil
}

// cancelled is b withdrawn at now.
func cancelled(b Broadcast, now time.Time) Broadcast {
	b.Status, b.UpdatedAt = StatusCancelled, now
	return b
}

// sentAt is when a sent broadcast went (or goes) out.
func sentAt(b Broadcast) time.Time {
	if !b.SendAt.IsZero() && b.SendAt.After(b.UpdatedAt) {
		return b.SendAt
	}
	return b.UpdatedAt
}

// scheduled reports whether a sent broadcast waits for its time at now.
func scheduled(b Broadcast, now time.Time) bool {
	return b.Status == StatusSent && b.SendAt.After(now)
}

// fullTime is an instant with its year, as everyone reads a date that may
// be months away: 2030年1月1日 08:00.
func fullTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04"))
}
