package broadcast

import (
	"slices"
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
