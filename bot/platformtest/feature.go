package platformtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/branchbot/branchbot/bot"
)

// Texts the suite's feature answers with.
const (
	heldText    = "放行"
	crashText   = "处理命令时出错了，已记录。请稍后再试或联系管理员。"
	privateOnly = "/secret 只能在与机器人的私聊中使用，请私聊机器人发送。"
	helloText   = "你好"
)

func hereReply(name string) string { return "到：" + name }

// maxPicture is the largest picture the feature fetches.
const maxPicture = 64 << 10

func pictureReply(data []byte) string {
	return fmt.Sprintf("收到图片：%d 字节，%x", len(data), sha256.Sum256(data))
}

const pictureTooLarge = "图片太大"

// rollText names members in the text, each as "@"+name followed by a space.
func rollText(names []string) string {
	return "点名：@" + strings.Join(names, " @") + " 请回复。"
}

func secretReply(arg string) string { return "私聊收到：" + arg }

func voteText(yes, no int) string { return fmt.Sprintf("投票：赞成 %d，反对 %d", yes, no) }

func voteAnswer(choice string) string { return "已记录：" + choice }

var voteButtons = [][]bot.Button{{{Text: "赞成", Data: "/vote yes"}, {Text: "反对", Data: "/vote no"}}}

// feature is the suite's stand-in for a product feature: commands that
// answer in the chat, in private, with a mention, with buttons and edits,
// and one that panics.
type feature struct {
	mu    sync.Mutex
	votes map[int64]*vote         // by chat
	here  map[int64][]bot.Mention // who said /here, by chat

	// gate, if set, holds /hold until it is closed; holding hears of each
	// /hold that waits at it.
	gate    chan struct{}
	holding chan struct{}
}

type vote struct {
	msg     int64 // outbox id of the vote message
	yes, no int
}

func newFeature() *feature {
	return &feature{votes: map[int64]*vote{}, here: map[int64][]bot.Mention{}, holding: make(chan struct{}, 16)}
}

// block makes /hold wait at gate.
func (f *feature) block(gate chan struct{}) {
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
}

// hold answers heldText, after waiting at the gate if one is set: the
// chat's later messages wait behind it.
func (f *feature) hold(ctx context.Context, r *bot.Request) error {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		f.holding <- struct{}{}
		<-gate
	}
	return r.Reply(ctx, heldText)
}

func (f *feature) Name() string { return "platformtest" }

func (f *feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{Name: "echo", Aliases: []string{"复述"}, Summary: "复述一句话", Usage: "/echo <内容>", Handler: echo},
		{Name: "hello", Aliases: []string{"你好"}, Summary: "点名问好", Handler: func(ctx context.Context, r *bot.Request) error {
			return r.ReplyMention(ctx, helloText)
		}},
		{Name: "secret", Aliases: []string{"私聊"}, Summary: "只在私聊中回答", Where: bot.PrivateOnly, Handler: func(ctx context.Context, r *bot.Request) error {
			return r.Reply(ctx, secretReply(r.Command.ArgText))
		}},
		{Name: "vote", Aliases: []string{"投票"}, Summary: "带按钮的投票", Usage: "/vote", Handler: f.vote,
			// The buttons press the sub-commands: every adapter's presses
			// go through sub-command dispatch.
			Subs: []bot.CommandSpec{
				{Name: "yes", Summary: "赞成", Usage: "/vote yes", Handler: f.choose},
				{Name: "no", Summary: "反对", Usage: "/vote no", Handler: f.choose},
			}},
		{Name: "here", Aliases: []string{"到"}, Summary: "应到", Handler: f.hereCmd},
		{Name: "roll", Aliases: []string{"点名"}, Summary: "点名所有应到的人", Handler: f.roll},
		{Name: "boom", Summary: "会出错的命令", Handler: func(context.Context, *bot.Request) error { panic("platformtest: boom") }},
		{Name: "hold", Summary: "等放行再回答", Handler: f.hold},
	}
}

// hereCmd records the caller for /roll.
func (f *feature) hereCmd(ctx context.Context, r *bot.Request) error {
	f.mu.Lock()
	f.here[r.Chat.ID] = append(f.here[r.Chat.ID], bot.Mention{UserID: r.Caller.Member.ExternalID, Name: r.Caller.Member.Name})
	f.mu.Unlock()
	return r.Reply(ctx, hereReply(r.Caller.Member.Name))
}

// roll posts one message naming everyone who said /here in the chat, as
// a group reminder names those who have not done a task.
func (f *feature) roll(ctx context.Context, r *bot.Request) error {
	f.mu.Lock()
	ms := f.here[r.Chat.ID]
	f.mu.Unlock()
	if len(ms) == 0 {
		return bot.Errorf("还没有人应到。")
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	_, err := r.Send(ctx, bot.Outgoing{ChatID: r.Chat.ID, Text: rollText(names), Mentions: ms})
	return err
}

// ObserveImage answers a picture sent without a command with its size and
// checksum, as fetched from the platform (at most maxPicture bytes).
func (f *feature) ObserveImage(ctx context.Context, r *bot.Request) error {
	data, err := r.Engine().FetchImage(ctx, r.Chat.Platform, r.Message.Image, maxPicture)
	if errors.Is(err, bot.ErrTooLarge) {
		return r.Reply(ctx, pictureTooLarge)
	}
	if err != nil {
		return err
	}
	return r.Reply(ctx, pictureReply(data))
}

func echo(ctx context.Context, r *bot.Request) error {
	if r.Command.ArgText == "" {
		return bot.Errorf("用法：/echo <内容>")
	}
	return r.Reply(ctx, r.Command.ArgText)
}

// vote posts a vote with two buttons.
func (f *feature) vote(ctx context.Context, r *bot.Request) error {
	if r.IsButton() {
		return bot.Errorf("无效的选项。")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.post(ctx, r)
}

func (f *feature) post(ctx context.Context, r *bot.Request) error {
	id, err := r.Send(ctx, bot.Outgoing{ChatID: r.Chat.ID, Text: voteText(0, 0), Buttons: voteButtons})
	if err != nil {
		return err
	}
	f.votes[r.Chat.ID] = &vote{msg: id}
	return nil
}

// choose is a press of a vote's button (/vote yes, /vote no): answered to
// the presser, and the vote's count is edited in place. Typed, it posts a
// new vote.
func (f *feature) choose(ctx context.Context, r *bot.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !r.IsButton() {
		return f.post(ctx, r)
	}
	v := f.votes[r.Chat.ID]
	if v == nil || len(r.Command.Args) != 0 {
		return bot.Errorf("这个投票已经结束。")
	}
	choice := "赞成"
	if r.Spec.Name == "yes" {
		v.yes++
	} else {
		v.no++
		choice = "反对"
	}
	if err := r.Reply(ctx, voteAnswer(choice)); err != nil {
		return err
	}
	_, err := r.Send(ctx, bot.Outgoing{ChatID: r.Chat.ID, Text: voteText(v.yes, v.no), Buttons: voteButtons, EditOf: v.msg})
	return err
}
