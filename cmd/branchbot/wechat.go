package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/configs"
)

// addWeChat attaches the WeChat adapter, with its own command /rebind, when
// platforms.wechat.enabled.
func addWeChat(app *App, qrOut io.Writer) error {
	w := app.Config.Platforms.WeChat
	if !w.Enabled {
		return nil
	}
	o := wechat.Options{
		SessionFile: w.SessionFile, QRFile: w.QRFile, Logger: app.Log, Store: app.DB,
		PushLogin: configs.Flag(w.PushLogin), PushTimeout: w.PushTimeout, LoginRetry: w.LoginRetry,
		TooOftenBackoff: w.TooOftenBackoff, GroupRetry: w.GroupRetry,
	}
	if configs.Flag(w.PrintQR) {
		o.QROut = qrOut
	}
	if configs.Flag(w.NotifyOffline) {
		o.OnLogout = wechatOfflineNotifier(app)
	}
	return app.Engine.AddPlatform(wechat.New(o))
}

// wechatOfflineNotifier tells the admins on the other running platforms that the
// WeChat session ended: in each admin's private chat with the bot where one
// exists (config admins "platform:id" and roster admins, through their linked
// identities), else in every group bound to a top-level unit. One notice per
// chat per 10 minutes, however often the session flaps.
func wechatOfflineNotifier(app *App) func(ctx context.Context, reason error) {
	return func(ctx context.Context, reason error) {
		chats, err := offlineNoticeChats(ctx, app)
		if err != nil {
			app.Log.Error("find admins to tell about the wechat logout", "err", err)
			return
		}
		now := app.Engine.Now()
		bucket := now.Truncate(10 * time.Minute).Unix()
		text := fmt.Sprintf("%s（%s 掉线）。请在服务器终端或二维码图片 %s 扫码；消息已暂存，登录后自动补发。",
			wechat.OfflineNotice, now.Format("01-02 15:04"), app.Config.Platforms.WeChat.QRFile)
		for _, c := range chats {
			if _, err := app.Engine.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: text, IdemKey: fmt.Sprintf("wechat-offline:%d:%d", c.ID, bucket)}); err != nil {
				app.Log.Error("tell admin about the wechat logout", "chat", c.ID, "err", err)
			}
		}
	}
}

func offlineNoticeChats(ctx context.Context, app *App) ([]bot.Chat, error) {
	db := app.DB
	seen := map[int64]bool{}
	var out []bot.Chat
	// Only platforms this bot runs can carry the notice.
	attached := func(platform string) bool {
		_, ok := app.Engine.Platform(platform)
		return ok && platform != wechat.Name
	}
	private := func(platform, id string) {
		if !attached(platform) {
			return
		}
		for _, ext := range []string{id, "private:" + id} {
			c, err := db.ChatByExternalID(ctx, platform, ext)
			if err == nil && c.Kind == bot.Private && c.Active && !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
	}
	linked := func(rosterID int64) error {
		ms, err := db.MembersOfRoster(ctx, rosterID)
		for _, m := range ms {
			private(m.Platform, m.ExternalID)
		}
		return err
	}
	for _, a := range app.Config.Admins {
		platform, id, _ := strings.Cut(strings.TrimSpace(a), ":")
		if platform != "roster" {
			private(platform, id)
			continue
		}
		e, err := db.RosterByNumber(ctx, id)
		if errors.Is(err, bot.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := linked(e.ID); err != nil {
			return nil, err
		}
	}
	admins, err := db.RosterWithRole(ctx, bot.RoleAdmin)
	if err != nil {
		return nil, err
	}
	for _, e := range admins {
		if err := linked(e.ID); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	var roots []int64
	for _, u := range app.Engine.Units().All() {
		if u.ParentID == 0 {
			roots = append(roots, u.ID)
		}
	}
	groups, err := db.ChatsOfUnits(ctx, roots)
	if err != nil {
		return nil, err
	}
	for _, c := range groups {
		if attached(c.Platform) && c.Active {
			out = append(out, c)
		}
	}
	return out, nil
}
