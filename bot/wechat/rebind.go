package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

// Store is what the adapter's own command, /rebind, reads and changes.
// storage.DB implements it.
type Store interface {
	ChatByExternalID(ctx context.Context, platform, externalID string) (bot.Chat, error)
	EnsureChat(ctx context.Context, platform, externalID string, kind bot.ChatKind, title string) (bot.Chat, error)
	// MemberByExternalID returns bot.ErrNotFound for a member never seen.
	MemberByExternalID(ctx context.Context, platform, externalID string) (bot.Member, error)
	// MoveMembersByPrefix gives every member of the platform whose id
	// starts with oldPrefix the id with newPrefix instead; where that id is
	// already taken, its member takes over the roster link if it has none.
	// It returns how many members were moved or relinked.
	MoveMembersByPrefix(ctx context.Context, platform, oldPrefix, newPrefix string) (int, error)
}

// Commands are the adapter's own commands, which exist in WeChat chats only:
// /rebind, run in a renamed group. WeChat groups are known by their name, so
// a renamed group looks like a new, unbound group; /rebind <旧群名> moves the
// old group's binding, history, queued messages and members over.
func Commands(st Store) []bot.CommandSpec {
	rb := rebinder{st: st}
	return []bot.CommandSpec{{
		Name: "rebind", Aliases: []string{"群改名", "重新绑定"},
		Summary: "微信群改名后，沿用旧群名的绑定",
		Usage:   "/rebind <旧群名>",
		Help: "例：/rebind 第一党支部群\n在改名后的微信群里发送。旧群的单位绑定、待发消息和成员身份（含 /iam 绑定）都会转到本群。" +
			"需要旧群所属单位的书记或管理员。",
		Where:    bot.GroupOnly,
		Bare:     bot.BareInPrivate, // "群改名了" is news, not a command: the slash is needed
		Platform: Name,
		Handler:  rb.rebind,
	}}
}

// Commands implements bot.CommandProvider: /rebind, when Options.Store is set.
func (p *Platform) Commands() []bot.CommandSpec {
	if p.o.Store == nil {
		return nil
	}
	return Commands(p.o.Store)
}

type rebinder struct{ st Store }

func (rb rebinder) rebind(ctx context.Context, r *bot.Request) error {
	old := strings.TrimSpace(r.Command.ArgText)
	if old == "" {
		return bot.Errorf("用法：/rebind <旧群名>，在改名后的群里发送，例：/rebind 第一党支部群")
	}
	prev, err := rb.st.ChatByExternalID(ctx, Name, old)
	if errors.Is(err, bot.ErrNotFound) || err == nil && prev.Kind != bot.Group {
		return bot.Errorf("找不到名为「%s」的微信群记录，请检查旧群名（须与改名前完全一致）。", old)
	}
	if err != nil {
		return err
	}
	units := r.Units()
	if prev.UnitID == 0 {
		return bot.Errorf("「%s」没有绑定单位，直接在本群用 /bind <单位名称> 绑定即可。", old)
	}
	if !rb.allowed(ctx, r, old, prev.UnitID) {
		return bot.Deny("你不是%s或其上级单位的书记（也按你在原群「%s」中的身份核对过），不能重新绑定。", units.Name(prev.UnitID), old)
	}
	if old == r.Chat.ExternalID {
		return bot.Errorf("本群现在就叫「%s」，无需重新绑定。", old)
	}
	if r.Chat.UnitID != 0 && r.Chat.UnitID != prev.UnitID {
		return bot.Errorf("本群已绑定到「%s」，请先 /unbind 解除后再重新绑定。", units.Name(r.Chat.UnitID))
	}
	name := r.Chat.ExternalID
	// The old chat takes the new name and keeps its id, binding, history and
	// queued messages; the new chat's own queue moves into it.
	if err := r.Engine().ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatMigrated, Platform: Name, ChatID: old, NewID: name}); err != nil {
		return err
	}
	if _, err := rb.st.EnsureChat(ctx, Name, name, bot.Group, r.Chat.Title); err != nil {
		return err
	}
	moved, err := rb.st.MoveMembersByPrefix(ctx, Name, memberPrefix(old), memberPrefix(name))
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("已将「%s」的绑定转到本群：本群绑定在「%s」，%d 位成员的身份已转过来。", old, units.Name(prev.UnitID), moved)
	// Reply to the chat that now carries this group's name.
	_, err = r.Engine().Send(ctx, bot.Outgoing{ChatID: prev.ID, Text: msg})
	return err
}

// allowed checks the caller's role for the old group's unit. After a rename
// everybody in the group looks new and unlinked, so a caller without a
// roster link is also judged by who they were in the old group (same
// display name).
func (rb rebinder) allowed(ctx context.Context, r *bot.Request, old string, unitID int64) bool {
	units := r.Units()
	if r.Caller.Is(bot.RoleSecretary, unitID, units) {
		return true
	}
	if r.Caller.Roster != nil {
		return false
	}
	ext := MemberID(old, r.Caller.Member.Name)
	m, err := rb.st.MemberByExternalID(ctx, Name, ext)
	if errors.Is(err, bot.ErrNotFound) {
		// Never spoke there, but may be a configured admin by that id.
		m, err = bot.Member{Platform: Name, ExternalID: ext, Name: r.Caller.Member.Name}, nil
	}
	if err != nil {
		return false
	}
	c, err := r.Engine().Caller(ctx, m)
	return err == nil && c.Is(bot.RoleSecretary, unitID, units)
}
