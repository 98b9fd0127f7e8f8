// Package wechatadmin holds WeChat-only administration: re-binding a group
// after it was renamed. WeChat groups are known by their name, so a renamed
// group looks like a new, unbound group; /rebind <旧群名>, run in the renamed
// group, moves the old group's binding, queued messages and members over.
package wechatadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/storage"
)

// Platform is the platform name the command applies to.
const Platform = "wechat"

// Feature is the WeChat administration command set.
type Feature struct {
	engine *bot.Engine
	db     *storage.DB
}

// New makes the feature.
func New(e *bot.Engine, db *storage.DB) *Feature { return &Feature{engine: e, db: db} }

func (f *Feature) Name() string { return "wechatadmin" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "rebind", Aliases: []string{"群改名", "重新绑定"},
		Summary: "微信群改名后，沿用旧群名的绑定",
		Usage:   "/rebind <旧群名>",
		Help: "例：/rebind 第一党支部群\n在改名后的微信群里发送。旧群的单位绑定、待发消息和成员身份（含 /iam 绑定）都会转到本群。" +
			"需要旧群所属单位的书记或管理员。",
		Where:   bot.GroupOnly,
		Handler: f.rebind,
	}}
}

func (f *Feature) rebind(ctx context.Context, r *bot.Request) error {
	if r.Chat.Platform != Platform {
		return bot.Errorf("该命令只用于微信群改名后的重新绑定；其他平台的群改名后绑定会自动保留。")
	}
	old := strings.TrimSpace(r.Command.ArgText)
	if old == "" {
		return bot.Errorf("用法：/rebind <旧群名>，在改名后的群里发送，例：/rebind 第一党支部群")
	}
	if old == r.Chat.ExternalID {
		return bot.Errorf("本群现在就叫「%s」，无需重新绑定。", old)
	}
	prev, err := f.db.ChatByExternalID(ctx, Platform, old)
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
	if !f.allowed(ctx, r, old, prev.UnitID) {
		return bot.Errorf("权限不足：只有管理员或「%s」及其上级单位的书记可以重新绑定。", units.Name(prev.UnitID))
	}
	if r.Chat.UnitID != 0 && r.Chat.UnitID != prev.UnitID {
		return bot.Errorf("本群已绑定到「%s」，请先 /unbind 解除后再重新绑定。", units.Name(r.Chat.UnitID))
	}
	name := r.Chat.ExternalID
	// The old chat takes the new name and keeps its id, binding, history and
	// queued messages; the new chat's own queue moves into it.
	if err := r.Engine().ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatMigrated, Platform: Platform, ChatID: old, NewID: name}); err != nil {
		return err
	}
	if _, err := f.db.EnsureChat(ctx, Platform, name, bot.Group, r.Chat.Title); err != nil {
		return err
	}
	moved, err := f.db.MoveGroupMembers(ctx, Platform, old, name)
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
func (f *Feature) allowed(ctx context.Context, r *bot.Request, old string, unitID int64) bool {
	units := r.Units()
	if r.Caller.Is(bot.RoleSecretary, unitID, units) {
		return true
	}
	if r.Caller.Roster != nil {
		return false
	}
	ext := old + "/" + r.Caller.Member.Name
	m, err := f.db.MemberByExternalID(ctx, Platform, ext)
	if errors.Is(err, bot.ErrNotFound) {
		// Never spoke there, but may be a configured admin by that id.
		m, err = bot.Member{Platform: Platform, ExternalID: ext, Name: r.Caller.Member.Name}, nil
	}
	if err != nil {
		return false
	}
	c, err := r.Engine().Caller(ctx, m)
	return err == nil && c.Is(bot.RoleSecretary, unitID, units)
}
