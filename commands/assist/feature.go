package assist

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// Retention and summary limits.
const (
	defaultRetention  = 7 * 24 * time.Hour
	minRetention      = time.Hour
	maxRetention      = 30 * 24 * time.Hour
	defaultSummary    = 24 * time.Hour
	minSummary        = 10 * time.Minute
	maxRetainedRunes  = 2000  // longer messages are cut when stored
	maxSummaryLines   = 400   // newest messages a summary reads at most
	maxSummaryRunes   = 12000 // and at most this much text
	retainUsage       = "用法：/retain on [保留时长，如 7d]、/retain off 或 /retain（查看状态）"
	summaryUsageShort = "用法：/summary [时长]，例：/summary、/summary 24h、/summary 3d"
)

// Feature is /summary and /retain: opt-in retention of a group's recent
// messages (kept by Observe, purged by Tick) and model summaries of them.
type Feature struct {
	engine *bot.Engine
	db     Store
	ai     *Assistant
}

// NewFeature makes the summary feature over an Assistant. With a disabled
// Assistant the commands answer that the assistant is not enabled, and the
// feature does not observe messages at all (the engine then handles ordinary
// messages exactly as without it); it still purges what an earlier enabled
// run retained.
func NewFeature(e *bot.Engine, db Store, ai *Assistant) bot.Feature {
	f := &Feature{engine: e, db: db, ai: ai}
	if !ai.Enabled() {
		return disabledFeature{f}
	}
	return f
}

// disabledFeature is Feature without Observe.
type disabledFeature struct{ f *Feature }

func (d disabledFeature) Name() string                                  { return d.f.Name() }
func (d disabledFeature) Commands() []bot.CommandSpec                   { return d.f.Commands() }
func (d disabledFeature) Tick(ctx context.Context, now time.Time) error { return d.f.Tick(ctx, now) }

func (f *Feature) Name() string { return "assist" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{
			Name: "summary", Aliases: []string{"讨论总结", "总结"},
			Summary: "用智能助手总结本群最近的讨论（书记）",
			Usage:   "/summary [时长]",
			Help: "例：/summary（最近24小时）、/summary 3d、/summary 90m\n" +
				"需要本群先用 /retain on 开启消息保留，只总结开启之后保存的消息。发给模型之前，姓名、学号/工号和手机号都会替换成占位符，总结里再换回来。",
			Role: bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Handler: f.summary,
		},
		{
			Name: "retain", Aliases: []string{"消息保留", "保留消息"},
			Summary: "查看本群消息保留状态（书记）",
			Usage:   "/retain",
			Help: "显示本群是否保存消息、保留期和已保存的条数。消息保留供 /summary 讨论总结使用：" +
				"保留期最短1小时、最长30天，过期的消息自动删除。开启和关闭都会在群里公告。",
			Role: bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Handler: f.retainStatus,
			Subs: []bot.CommandSpec{
				{
					Name: "on", Aliases: []string{"开启", "开"},
					Summary: "开启本群消息保留，供讨论总结使用（书记）",
					Usage:   "/retain on [时长]",
					Help:    "例：/retain on 7d（保存最近7天的群消息；默认7天）\n再次开启并换一个保留期会删除超出新保留期的消息。",
					Role:    bot.RoleSecretary,
					Handler: f.retainOn,
				},
				{
					Name: "off", Aliases: []string{"关闭", "关"},
					Summary: "关闭本群消息保留并删除已保存的消息（书记）",
					Usage:   "/retain off",
					Role:    bot.RoleSecretary,
					Handler: f.retainOff,
				},
				{
					Name: "status", Aliases: []string{"状态"},
					Summary: "同 /retain：查看本群消息保留状态（书记）",
					Usage:   "/retain status",
					Role:    bot.RoleSecretary,
					Handler: f.retainStatus,
				},
			},
		},
	}
}

// Observe keeps a non-command group message when the group has opted in.
func (f *Feature) Observe(ctx context.Context, r *bot.Request) error {
	if !f.ai.Enabled() || r.Chat.Kind != bot.Group || r.IsButton() {
		return nil
	}
	text := strings.TrimSpace(r.Message.Text)
	if text == "" {
		return nil
	}
	if utf8.RuneCountInString(text) > maxRetainedRunes {
		text = truncateRunes(text, maxRetainedRunes)
	}
	at := r.Message.Time
	if at.IsZero() {
		at = r.Now()
	}
	// Only a group that opted in has its messages kept; storage refuses
	// the write too if the group opts out meanwhile.
	if _, ok, err := f.db.AssistRetention(ctx, r.Chat.ID); err != nil || !ok {
		return err
	}
	_, err := f.db.RetainMessage(ctx, RetainedMessage{
		ChatID: r.Chat.ID, MemberID: r.Caller.Member.ID, Sender: r.Caller.Name(), Text: text, At: at,
	})
	return err
}

// Tick deletes retained messages that have left their group's window.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	n := 0
	err := f.db.UpdateAssist(ctx, now, func(tx Tx) error {
		rs, err := tx.AssistRetentions()
		if err != nil {
			return err
		}
		n = 0
		for _, ret := range rs {
			d, err := tx.DropRetainedMessagesBefore(ret.ChatID, retainedSince(ret.Window, now))
			if err != nil {
				return err
			}
			n += d
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge retained messages: %w", err)
	}
	if n > 0 {
		f.ai.log.Info("purged retained messages", "count", n)
	}
	return nil
}

// retainStatus is /retain (or /retain status): whether the group's
// messages are kept, for how long, and how many are.
func (f *Feature) retainStatus(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) > 0 {
		return bot.Errorf(retainUsage)
	}
	ret, ok, err := f.db.AssistRetention(ctx, r.Chat.ID)
	if err != nil {
		return err
	}
	if !ok {
		msg := "本群未开启消息保留。书记可发送 /retain on 7d 开启，供 /summary 讨论总结使用。"
		if !f.ai.Enabled() {
			msg = "本群未开启消息保留。" + DisabledText
		}
		return r.Reply(ctx, msg)
	}
	n, err := f.db.CountRetainedMessages(ctx, r.Chat.ID)
	if err != nil {
		return err
	}
	return r.Reply(ctx, fmt.Sprintf("本群已开启消息保留（保留%s，自 %s 起），目前保存了 %d 条消息。关闭：/retain off",
		when.Span(ret.Window, when.DayAsHours), ret.SetAt.In(f.engine.Location()).Format("2006-01-02 15:04"), n))
}

// retainOn is /retain on [时长]: keep the group's messages for the window.
func (f *Feature) retainOn(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) > 1 {
		return bot.Errorf(retainUsage)
	}
	window := defaultRetention
	if len(args) == 1 {
		d, err := parseSpan(args[0])
		if err != nil {
			return bot.Errorf("%s。%s", spanError("保留时长", args[0]), retainUsage)
		}
		window = d
	}
	if window < minRetention || window > maxRetention {
		return bot.Errorf("保留时长须在1小时到30天之间，不能是%s。", when.Span(window, when.DayAsHours))
	}
	if !f.ai.Enabled() {
		return bot.Errorf(DisabledText)
	}
	prev, had, err := f.db.AssistRetention(ctx, r.Chat.ID)
	if err != nil {
		return err
	}
	if had && prev.Window == window {
		return r.Reply(ctx, fmt.Sprintf("本群已开启消息保留（保留%s）。", when.Span(window, when.DayAsHours)))
	}
	var msg string
	if had {
		msg = fmt.Sprintf("【公告】本群消息保留期已由%s改为%s，超出的消息已删除。", when.Span(prev.Window, when.DayAsHours), when.Span(window, when.DayAsHours))
	} else {
		msg = fmt.Sprintf("【公告】%s开启了本群消息保留：机器人将保存本群最近%s的聊天消息，仅用于书记通过 /summary 生成讨论总结，超过%s的消息会自动删除。"+
			"发给智能助手前，姓名、学号和手机号会替换为占位符。书记可随时发送 /retain off 关闭并删除已保存的消息。",
			r.Caller.Name(), when.Span(window, when.DayAsHours), when.Span(window, when.DayAsHours))
	}
	if caps := r.Capabilities(); caps.CommandsOnly {
		msg += "\n" + commandsOnlyNote(caps)
	}
	// The opt-in, the trim to the new window and the announcement are
	// stored together.
	now := r.Now()
	ret := Retention{ChatID: r.Chat.ID, Window: window, SetBy: r.Caller.Member.ID, SetAt: now}
	return f.db.UpdateAssist(ctx, now, func(tx Tx) error {
		if err := tx.SaveAssistRetention(ret); err != nil {
			return err
		}
		if _, err := tx.DropRetainedMessagesBefore(ret.ChatID, retainedSince(window, now)); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: msg})
		return err
	})
}

// retainOff is /retain off, which opts the group out: it deletes every
// retained message and announces it, in one transaction.
func (f *Feature) retainOff(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) > 0 {
		return bot.Errorf(retainUsage)
	}
	was := false
	err := f.db.UpdateAssist(ctx, r.Now(), func(tx Tx) error {
		var err error
		if was, err = tx.DeleteAssistRetention(r.Chat.ID); err != nil {
			return err
		}
		n, err := tx.DropRetainedMessages(r.Chat.ID)
		if err != nil || !was {
			return err
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID,
			Text: fmt.Sprintf("【公告】本群已关闭消息保留，已删除保存的 %d 条消息，机器人不再保存本群的聊天内容。", n)})
		return err
	})
	if err != nil || was {
		return err
	}
	return r.Reply(ctx, "本群未开启消息保留，没有保存任何消息。")
}

// commandsOnlyNote warns, where the bot sees only commands in groups, that
// ordinary messages are not kept until an admin changes that, in the
// platform's own words where it has them.
func commandsOnlyNote(c bot.Capabilities) string {
	why := c.CommandsOnlyWhy
	if why == "" {
		why = "本平台的机器人在群里只能看到命令和 @机器人 的消息"
	}
	if c.SeeAllHow == "" {
		return "注意：" + why + "，普通消息无法保存。"
	}
	return "注意：" + why + "。如需保存普通消息，请" + c.SeeAllHow + "。"
}

func (f *Feature) summary(ctx context.Context, r *bot.Request) error {
	if !f.ai.Enabled() {
		return bot.Errorf(DisabledText)
	}
	span := defaultSummary
	switch len(r.Command.Args) {
	case 0:
	case 1:
		d, err := parseSpan(r.Command.Args[0])
		if err != nil {
			return bot.Errorf("%s。%s", spanError("时长", r.Command.Args[0]), summaryUsageShort)
		}
		if d < minSummary || d > maxRetention {
			return bot.Errorf("总结的时长须在10分钟到30天之间。")
		}
		span = d
	default:
		return bot.Errorf(summaryUsageShort)
	}
	ret, ok, err := f.db.AssistRetention(ctx, r.Chat.ID)
	if err != nil {
		return err
	}
	if !ok {
		return bot.Errorf("本群未开启消息保留，没有可总结的消息。请先发送 /retain on 7d 开启（开启后保存的消息才能总结）。")
	}
	now := r.Now()
	note := ""
	if span > ret.Window {
		span, note = ret.Window, fmt.Sprintf("本群只保留%s的消息，", when.Span(ret.Window, when.DayAsHours))
	}
	msgs, err := f.db.RetainedMessages(ctx, r.Chat.ID, now.Add(-span), maxSummaryLines)
	if err != nil {
		return err
	}
	// Keep the newest messages within the text limit.
	total, from := 0, len(msgs)
	for from > 0 && total+utf8.RuneCountInString(msgs[from-1].Text) <= maxSummaryRunes {
		from--
		total += utf8.RuneCountInString(msgs[from].Text)
	}
	msgs = msgs[from:]
	if len(msgs) == 0 {
		return r.Reply(ctx, fmt.Sprintf("%s最近%s本群没有保存的讨论消息，无需总结。", note, when.Span(span, when.DayAsHours)))
	}
	lines := make([]line, len(msgs))
	for i, m := range msgs {
		lines[i] = line{At: m.At, Sender: m.Sender, Text: m.Text}
	}
	answer, err := f.ai.summarize(ctx, lines, f.engine.Location())
	if err != nil {
		f.ai.log.Warn("summary failed", "chat", r.Chat.ID, "error", errorKind(err))
		return bot.Errorf("%s", f.ai.UserText(err))
	}
	head := fmt.Sprintf("讨论总结（%s最近%s，%d 条消息）：", note, when.Span(span, when.DayAsHours), len(msgs))
	return r.Reply(ctx, head+"\n"+answer+"\n（由智能助手生成，仅供参考）")
}

// parseSpan reads a span as members write durations (24h, 90m, 7d, 7天,
// 12小时, 三天; see when.ParseDuration).
func parseSpan(s string) (time.Duration, error) { return when.ParseDuration(s) }

// spanError says what is wrong with a span that parseSpan refused: written
// as a duration but not above zero, or not a duration at all.
func spanError(what, s string) string {
	if when.IsDuration(s) {
		return fmt.Sprintf("%s「%s」必须大于零", what, truncateRunes(s, 20))
	}
	return fmt.Sprintf("无法识别%s「%s」", what, truncateRunes(s, 20))
}
