package broadcast

import (
	"context"
	"fmt"

	"github.com/branchbot/branchbot/bot"
)

// The desk's status and log: /broadcast status and /broadcast log for a
// person outside a chat (the web console), with the chat's scope: a
// broadcast's author, its reviewers, secretaries of all its units and
// admins.

// StatusView is one broadcast as its status page shows it.
type StatusView struct {
	ID      int64
	Author  string
	Target  string
	Status  string // 审核中, 已发出, 定时待发, …
	Text    string
	Created string
	// Head is /broadcast status's first line; Groups the delivery to each
	// group (empty before it was queued); Receipts the read receipts of a
	// sent confirm=yes notice (nil otherwise).
	Head     string
	Groups   []GroupDelivery
	Receipts *Receipts
	// Log is the review chain and sending, as /broadcast log lists them.
	Log []string
}

// LogItem is one broadcast of the log.
type LogItem struct {
	ID      int64
	Author  string
	Target  string
	Status  string
	Preview string
	Created string
	Log     []string
}

// deskLogLimit bounds the broadcasts the log page lists.
const deskLogLimit = 200

// MayViewLog is nil when c may see the broadcast log at all: the chat's
// audience of /broadcast status and log, secretaries (and admins) and
// reviewers.
func (f *Feature) MayViewLog(c bot.Caller) error {
	if c.Is(bot.RoleSecretary, 0, nil) || isReviewer(c, f.chains) {
		return nil
	}
	return bot.Deny("只有通知的提交人、审核人、相关单位书记或管理员可以查看。")
}

// DeskStatus is broadcast n's status, delivery per group, read receipts
// and log, if c may see it.
func (f *Feature) DeskStatus(ctx context.Context, c bot.Caller, n int64) (StatusView, error) {
	if err := f.MayViewLog(c); err != nil {
		return StatusView{}, err
	}
	b, err := f.load(ctx, fmt.Sprint(n))
	if err != nil {
		return StatusView{}, err
	}
	if !f.mayViewBy(c, b) {
		return StatusView{}, bot.Deny("只有通知 #%d 的提交人、审核人、相关单位书记或管理员可以查看。", b.ID)
	}
	now := f.engine.Now()
	st, err := f.statusOf(ctx, b, now)
	if err != nil {
		return StatusView{}, fmt.Errorf("status of broadcast %d: %w", b.ID, err)
	}
	log, err := f.eventLines(ctx, b, now)
	if err != nil {
		return StatusView{}, fmt.Errorf("log of broadcast %d: %w", b.ID, err)
	}
	return StatusView{ID: b.ID, Author: b.AuthorName, Target: b.Target, Status: statusName(b, now), Text: b.Text,
		Created: b.CreatedAt.In(f.engine.Location()).Format("2006-01-02 15:04"),
		Head:    st.Head, Groups: st.Groups, Receipts: st.Receipts, Log: log}, nil
}

// DeskLog lists the broadcasts c may see, newest first (among the latest
// 200), each with its review chain and sending.
func (f *Feature) DeskLog(ctx context.Context, c bot.Caller) ([]LogItem, error) {
	if err := f.MayViewLog(c); err != nil {
		return nil, err
	}
	all, err := f.db.Broadcasts(ctx, "", deskLogLimit)
	if err != nil {
		return nil, fmt.Errorf("broadcast log: %w", err)
	}
	now := f.engine.Now()
	loc := f.engine.Location()
	var out []LogItem
	for _, b := range all {
		if !f.mayViewBy(c, b) {
			continue
		}
		log, err := f.eventLines(ctx, b, now)
		if err != nil {
			return nil, fmt.Errorf("log of broadcast %d: %w", b.ID, err)
		}
		out = append(out, LogItem{ID: b.ID, Author: b.AuthorName, Target: b.Target, Status: statusName(b, now),
			Preview: preview(b.Text, 40), Created: b.CreatedAt.In(loc).Format("01-02 15:04"), Log: log})
	}
	return out, nil
}
