package wechat

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/branchbot/branchbot/bot"
)

// incoming is a message as copied out of the library's sync loop.
type incoming struct {
	s        *session
	from, to string
	raw      string // "@member:<br/>text" for group messages
	text     string // the library's cleaned text (no sender prefix, unescaped)
	id       string
	image    string        // the MsgId of a picture message, else ""
	at       int64         // Unix seconds
	stored   chan struct{} // closed once the message is stored, or given up
}

// inbox hands messages from the library's sync loop to the dispatcher. The
// sync loop waits (store) until its message is stored before it asks
// WeChat for more, so nothing WeChat handed over is lost by a crash after
// the next sync, and the queue never holds more than the loop's message.
type inbox struct {
	mu     sync.Mutex
	items  []incoming
	wake   chan struct{}
	closed bool
}

func newInbox() inbox { return inbox{wake: make(chan struct{}, 1)} }

// store queues m and waits until the dispatcher has stored it (or given it
// up), the session ends, or the inbox closes.
func (q *inbox) store(m incoming, sessionDone <-chan struct{}) {
	m.stored = make(chan struct{})
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	select {
	case <-m.stored:
	case <-sessionDone:
	}
}

func (q *inbox) close() {
	q.mu.Lock()
	q.closed = true
	for _, m := range q.items {
		close(m.stored)
	}
	q.items = nil
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop returns the oldest message, waiting for one; ok is false once the
// inbox is closed or ctx is cancelled.
func (q *inbox) pop(ctx context.Context) (incoming, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return incoming{}, false
		}
		if len(q.items) > 0 {
			m := q.items[0]
			q.items[0] = incoming{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return m, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return incoming{}, false
		case <-q.wake:
		}
	}
}

// dispatch translates queued messages one at a time, in order, and hands
// each to the engine, which stores it (Receiver.Accept) before the sync loop
// goes on; the engine handles each chat's messages in order.
func (p *Platform) dispatch(ctx context.Context, r bot.Receiver) {
	for {
		in, ok := p.inbox.pop(ctx)
		if !ok {
			return
		}
		p.accept(ctx, r, in)
		close(in.stored)
	}
}

// accept translates one message on the actor and stores it.
func (p *Platform) accept(ctx context.Context, r bot.Receiver, in incoming) {
	var m bot.Message
	var keep bool
	err := p.do(ctx, in.s, func(s *session) error {
		defer func() {
			if v := recover(); v != nil {
				p.log.Error("reading a wechat message panicked", "msg", in.id, "panic", v, "stack", string(debug.Stack()))
				keep = false
			}
		}()
		m, keep = p.translate(s, in)
		return nil
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			p.log.Warn("微信消息在掉线时到达，无法识别发送者，已忽略", "msg", in.id, "err", err)
		}
		return
	}
	if !keep {
		return
	}
	if err := r.Accept(ctx, Name, []bot.Incoming{{Lane: m.ChatID, Message: &m}}); err != nil {
		// WeChat does not deliver a message twice: this one is gone.
		p.log.Error("微信消息未能保存，已丢失", "msg", in.id, "chat", m.ChatID, "err", err)
	}
}

// translate (on the actor) turns a library message into a bot.Message,
// looking up names; keep is false for messages to ignore.
func (p *Platform) translate(s *session, in incoming) (m bot.Message, keep bool) {
	if in.from == s.self || in.from == "" {
		return m, false // our own, sent from the phone
	}
	m = bot.Message{Platform: Name, Text: in.text, ID: in.id, Time: time.Unix(in.at, 0), Image: in.image}
	if in.at == 0 {
		m.Time = time.Time{}
	}
	if s.nick != "" && strings.Contains(in.text, "@"+s.nick) {
		m.MentionsBot = true
		m.Text = addressed(in.text, s.nick)
	}
	if !strings.HasPrefix(in.from, "@@") {
		name, ok := s.friendName[in.from]
		if !ok {
			return m, false // not a friend (official accounts, strangers)
		}
		m.ChatKind, m.ChatID, m.ChatTitle, m.SenderID, m.SenderName = bot.Private, PrivatePrefix+name, name, name, name
		return m, true
	}
	sender, _, ok := strings.Cut(in.raw, ":<br/>")
	if !ok || !strings.HasPrefix(sender, "@") {
		return m, false // system notices
	}
	g := s.groupInfo[in.from]
	if g == nil || g.members[sender] == "" {
		// A group not saved to contacts, or a member who just joined.
		var err error
		if g, err = p.fetchGroup(s, in.from); err != nil {
			p.log.Warn("读取微信群信息失败，消息已忽略", "err", err)
			return m, false
		}
	}
	if g.name == "" {
		p.log.Warn("微信群没有群名，消息已忽略；请给群起名并保存到通讯录")
		return m, false
	}
	name := g.members[sender]
	if name == "" {
		name = p.userName(s, sender)
	}
	if name == "" {
		p.log.Warn("无法识别微信群成员，消息已忽略", "group", g.name)
		return m, false
	}
	m.ChatKind, m.ChatID, m.ChatTitle = bot.Group, g.name, g.name
	m.SenderID, m.SenderName = MemberID(g.name, name), name
	return m, true
}

// addressed takes a leading "@<nick>" and the space after it off text, so
// that "@支部助手\u2005签到" is the command 签到, as it is without the
// mention. WeChat clients put U+2005 after a mention; a typed one has an
// ordinary or full-width space.
func addressed(text, nick string) string {
	rest, ok := strings.CutPrefix(text, "@"+nick)
	if !ok {
		return text
	}
	trimmed := strings.TrimLeft(rest, "\u2005 \u3000")
	if trimmed == rest {
		return text // "@支部助手们": a longer name, not the bot
	}
	return trimmed
}

// PrivatePrefix starts the chat id of a private chat with a friend
// ("private:<remark name or nickname>"), so it never meets a group's name.
const PrivatePrefix = "private:"

// MemberID is a group member's platform id: group name and display name.
func MemberID(group, name string) string { return memberPrefix(group) + name }

// memberPrefix starts the platform id of every member of a group.
func memberPrefix(group string) string { return group + "/" }

// userName asks the server for one user's nickname.
func (p *Platform) userName(s *session, userName string) string {
	b := s.bot
	ms, err := b.Caller.WebWxBatchGetContact(b.Context(), openwechat.Members{&openwechat.User{UserName: userName}}, b.Storage.Request)
	if err != nil {
		return ""
	}
	for _, u := range ms {
		if u.UserName == userName {
			return openwechat.FormatEmoji(u.NickName)
		}
	}
	return ""
}
