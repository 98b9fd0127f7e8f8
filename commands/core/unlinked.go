package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/branchbot/branchbot/bot"
)

// unlinkedShown bounds the names /unlinked lists.
const unlinkedShown = 50

// unlinked lists the group's members (as the platform lists them) whose
// identity is not linked to the roster: never seen by the bot, or seen and
// never linked.
func (f *Feature) unlinked(ctx context.Context, r *bot.Request) error {
	if !r.Capabilities().Members {
		return r.Reply(ctx, "本平台不能列出群成员，无法查看群里谁没有绑定。请用 /links 查看花名册的绑定情况。")
	}
	members, err := r.GroupMembers(ctx)
	if err != nil {
		return fmt.Errorf("list members of chat %d: %w", r.Chat.ID, err)
	}
	var names []string
	for _, gm := range members {
		m, err := f.db.MemberByExternalID(ctx, r.Chat.Platform, gm.UserID)
		switch {
		case errors.Is(err, bot.ErrNotFound):
		case err != nil:
			return fmt.Errorf("look up member %s: %w", gm.UserID, err)
		case m.RosterID != 0:
			continue
		}
		names = append(names, fmt.Sprintf("%s（%s）", gm.Name, gm.UserID))
	}
	if len(names) == 0 {
		return r.Reply(ctx, fmt.Sprintf("本群 %d 人都已绑定花名册。", len(members)))
	}
	return r.Reply(ctx, fmt.Sprintf("本群 %d 人中，未绑定花名册的有 %d 人：%s\n请他们向书记索取绑定码，然后发送 /iam <学号> <姓名> <绑定码>（普通成员也可只发 /iam <学号> <姓名>，由书记确认）。",
		len(members), len(names), joinSome(names, unlinkedShown)))
}
