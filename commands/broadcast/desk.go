package broadcast

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

// The desk: /approve and /reject for a reviewer acting outside a chat (the
// web console), with the chat's rules: only the current level's reviewers,
// never the author, a reason required to reject.

// Draft is a notice waiting for a reviewer's decision, as the reviewer sees it.
type Draft struct {
	ID      int64
	Author  string
	Target  string
	Level   string // the level waiting, e.g. 分管副部长审核
	Created string // 11-23 09:00
	When    string // ，将于 2030年1月1日 08:00 发出; empty: at once
	Text    string
}

// DeskPending lists the drafts waiting for c's decision, oldest first.
func (f *Feature) DeskPending(ctx context.Context, c bot.Caller) ([]Draft, error) {
	bs, err := f.db.Broadcasts(ctx, StatusReview, 200)
	if err != nil {
		return nil, fmt.Errorf("drafts under review: %w", err)
	}
	loc := f.engine.Location()
	var out []Draft
	for _, b := range bs {
		chain := f.chainOf(b)
		if b.Level >= len(chain) || !canReview(c, chain[b.Level]) || isAuthor(b, c) {
			continue
		}
		out = append(out, Draft{ID: b.ID, Author: b.AuthorName, Target: b.Target, Level: levelName(chain, b.Level),
			Created: b.CreatedAt.In(loc).Format("01-02 15:04"), When: strings.TrimPrefix(sendsAt(b, loc), "，"), Text: b.Text})
	}
	return out, nil
}

// DeskApprove approves the current level of draft n as c, exactly as
// /approve does. It returns the acknowledgement.
func (f *Feature) DeskApprove(ctx context.Context, c bot.Caller, n int64) (string, error) {
	return f.approveDraft(ctx, c, strconv.FormatInt(n, 10), bot.Outgoing{})
}

// DeskReject rejects draft n as c with a reason (required), exactly as
// /reject does. It returns the acknowledgement.
func (f *Feature) DeskReject(ctx context.Context, c bot.Caller, n int64, reason string) (string, error) {
	return f.rejectDraft(ctx, c, strconv.FormatInt(n, 10), strings.TrimSpace(reason), bot.Outgoing{})
}
