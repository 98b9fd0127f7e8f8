// Package consolelink sends staff, secretaries and admins a one-time link
// to set their web console password, in their private chat with the bot:
// asked for with /console (控制台) in that chat, or by 工号 from the
// console's sign-in page ("forgot password", which never says whether the
// 工号 exists). Only a SHA-256 of a link's token is stored; a link expires
// after LinkTTL and works once (the console consumes it).
package consolelink

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// LinkTTL is how long a password link works.
const LinkTTL = 30 * time.Minute

// Rate limit: at most maxLinks links per roster entry within linkWindow.
const (
	maxLinks   = 3
	linkWindow = time.Hour
)

// Link is one issued password link: whose, and until when.
type Link struct {
	TokenHash string
	RosterID  int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store is what the feature reads and writes. *storage.DB satisfies it.
type Store interface {
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error)
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	// PasswordLinksSince counts the links issued for an entry since a time.
	PasswordLinksSince(ctx context.Context, rosterID int64, since time.Time) (int, error)
	// UpdatePasswordLinks runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdatePasswordLinks(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the feature may do inside one UpdatePasswordLinks transaction.
type Tx interface {
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	AddPasswordLink(l Link) error
}

// TokenHash is what is stored of a link's token.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// MayUseConsole reports whether a caller may sign in to the console:
// staff, secretaries and admins.
func MayUseConsole(c bot.Caller) bool {
	return c.Admin || c.Roster != nil && c.Roster.Role != bot.RoleMember
}

// Feature is the /console command and the forgot-password operation.
type Feature struct {
	engine  *bot.Engine
	db      Store
	baseURL string // console.base_url; "" when the console is off
	log     *slog.Logger
}

// New makes the feature; baseURL is console.base_url, "" when the console
// is not enabled (then /console says so).
func New(e *bot.Engine, db Store, baseURL string) *Feature {
	return &Feature{engine: e, db: db, baseURL: baseURL, log: e.Logger().With("feature", "consolelink")}
}

func (f *Feature) Name() string { return "consolelink" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "console", Aliases: []string{"控制台"},
		Summary: "获取网页控制台设置密码的一次性链接（私聊；工作人员、书记、管理员）",
		Usage:   "/console",
		Help: fmt.Sprintf("在与机器人的私聊中发送 /console（或「控制台」），机器人回复一个设置控制台密码的链接：%d 分钟内有效，只能使用一次，请勿转发。"+
			"设置后用工号和新密码登录控制台；原来的登录会全部退出。", int(LinkTTL/time.Minute)),
		Where: bot.PrivateOnly,
		Audience: &bot.Audience{
			Name:   "工作人员、书记或管理员",
			Admits: MayUseConsole,
			Denial: "只有工作人员、书记和管理员可以登录控制台。",
		},
		Bare:    bot.BareInPrivate,
		Handler: f.console,
	}}
}

// errTooMany: the entry asked for too many links lately.
var errTooMany = errors.New("too many password links")

func (f *Feature) console(ctx context.Context, r *bot.Request) error {
	if f.baseURL == "" {
		return bot.Errorf("本系统没有启用网页控制台（console.enabled）。")
	}
	if r.Caller.Roster == nil {
		return bot.Errorf("管理员账号没有花名册身份，无法登录控制台：请在配置的 admins 中写 roster:<工号>，或由服务器管理员运行 branchbot console passwd <工号>。")
	}
	err := f.issue(ctx, *r.Caller.Roster, []bot.Chat{r.Chat})
	if errors.Is(err, errTooMany) {
		return bot.Errorf("一小时内最多获取 %d 次链接，请稍后再试；已发出的链接 %d 分钟内仍然有效。", maxLinks, int(LinkTTL/time.Minute))
	}
	return err
}

// issue stores a new link for the entry and queues it to the chats, in one
// transaction.
func (f *Feature) issue(ctx context.Context, e bot.RosterEntry, chats []bot.Chat) error {
	now := f.engine.Now()
	n, err := f.db.PasswordLinksSince(ctx, e.ID, now.Add(-linkWindow))
	if err != nil {
		return fmt.Errorf("count password links of roster %d: %w", e.ID, err)
	}
	if n >= maxLinks {
		return errTooMany
	}
	token := rand.Text()
	l := Link{TokenHash: TokenHash(token), RosterID: e.ID, CreatedAt: now, ExpiresAt: now.Add(LinkTTL)}
	url := strings.TrimSuffix(f.baseURL, "/") + "/set-password?token=" + token
	text := fmt.Sprintf("%s，这是设置网页控制台密码的链接（%s 前有效，只能使用一次，请勿转发）：\n%s\n设置后用工号 %s 和新密码登录。如果不是你本人申请的，请忽略本消息。",
		e.Name, l.ExpiresAt.In(f.engine.Location()).Format("15:04"), url, e.Number)
	err = f.db.UpdatePasswordLinks(ctx, now, func(tx Tx) error {
		if err := tx.AddPasswordLink(l); err != nil {
			return err
		}
		for _, c := range chats {
			if _, _, err := tx.Enqueue(bot.Outgoing{ChatID: c.ID, Text: text}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("issue password link of roster %d: %w", e.ID, err)
	}
	f.log.Info("console password link sent", "roster", e.ID, "chats", len(chats))
	return nil
}

// SendForgotten sends a password link for the 工号 number to the private
// chats the bot has with its person, when it names someone who may use the
// console and has one, and they have not asked too often. Whether it sent
// one is not said (the sign-in page must not tell who has an account);
// the error is for failures only.
func (f *Feature) SendForgotten(ctx context.Context, number string) error {
	number = strings.TrimSpace(number)
	if number == "" {
		return nil
	}
	e, err := f.db.RosterByNumber(ctx, number)
	if errors.Is(err, bot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := f.engine.CallerOfRoster(ctx, e.ID)
	if err != nil || !MayUseConsole(c) {
		return nil
	}
	members, err := f.db.MembersOfRoster(ctx, e.ID)
	if err != nil {
		return err
	}
	chats, err := f.db.PrivateChatsOf(ctx, members)
	if err != nil {
		return err
	}
	if len(chats) == 0 {
		f.log.Info("password link asked for an entry without a private chat", "roster", e.ID)
		return nil
	}
	if err := f.issue(ctx, e, chats); err != nil && !errors.Is(err, errTooMany) {
		return err
	}
	return nil
}
