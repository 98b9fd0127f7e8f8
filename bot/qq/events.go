package qq

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// event is the part of a OneBot v11 event the adapter reads.
type event struct {
	Time        int64   `json:"time"`
	SelfID      ID      `json:"self_id"`
	PostType    string  `json:"post_type"`
	MessageType string  `json:"message_type"`
	SubType     string  `json:"sub_type"`
	MessageID   ID      `json:"message_id"`
	GroupID     ID      `json:"group_id"`
	UserID      ID      `json:"user_id"`
	Message     Message `json:"message"`
	GroupName   string  `json:"group_name"` // NapCat
	Sender      struct {
		UserID   ID     `json:"user_id"`
		Nickname string `json:"nickname"`
		Card     string `json:"card"`
	} `json:"sender"`

	MetaEventType string `json:"meta_event_type"`
	Interval      int64  `json:"interval"` // heartbeat, ms
	Status        *struct {
		Online *bool `json:"online"`
		Good   *bool `json:"good"`
	} `json:"status"`

	NoticeType string `json:"notice_type"`
	OperatorID ID     `json:"operator_id"`
	Duration   int64  `json:"duration"` // group_ban, seconds
}

// errNoHeartbeat closes a connection whose bridge stopped beating.
var errNoHeartbeat = errors.New("no heartbeat for three intervals")

// meta handles a meta event at once, on the read loop (so that a busy
// engine never makes a live bridge look dead); it reports whether raw was
// one.
func (p *Platform) meta(c *conn, raw []byte) bool {
	var ev event
	if json.Unmarshal(raw, &ev) != nil || ev.PostType != "meta_event" {
		return false
	}
	switch ev.MetaEventType {
	case "lifecycle":
		p.log.Info("QQ bridge lifecycle", "sub_type", ev.SubType, "self_id", int64(ev.SelfID))
	case "heartbeat":
		if ev.Status != nil && ev.Status.Online != nil {
			was := c.offline.Swap(!*ev.Status.Online)
			if was != !*ev.Status.Online {
				p.log.Warn("QQ bridge reports the account online state", "online", *ev.Status.Online)
			}
		}
		if ev.Interval > 0 {
			c.beat(3 * time.Duration(ev.Interval) * time.Millisecond)
		}
	}
	return true
}

// eventQueue holds events, in order, between the read loops and the event
// loop.
type eventQueue struct {
	mu    sync.Mutex
	items [][]byte
	wake  chan struct{}
}

func (q *eventQueue) push(raw []byte) {
	q.mu.Lock()
	q.items = append(q.items, raw)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pop(ctx context.Context) ([]byte, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			raw := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			return raw, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-q.wake:
		}
	}
}

func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// eventLoop translates events one at a time and hands them to the engine,
// which stores each before the next is taken.
func (p *Platform) eventLoop(ctx context.Context, r bot.Receiver) {
	for {
		raw, ok := p.queue.pop(ctx)
		if !ok {
			if n := p.queue.len(); n > 0 {
				p.log.Warn("QQ events received while stopping are dropped", "count", n)
			}
			return
		}
		in, ok := p.translate(ctx, raw)
		if !ok {
			p.log.Debug("QQ event ignored", "event", string(raw))
			continue
		}
		if err := r.Accept(ctx, Name, []bot.Incoming{in}); err != nil {
			// A bridge never delivers an event twice: this one is gone.
			p.log.Error("QQ消息未能保存，已丢失", "lane", in.Lane, "err", err)
		}
	}
}

// translate turns an event into what the engine takes; ok is false for
// events to ignore.
func (p *Platform) translate(ctx context.Context, raw []byte) (bot.Incoming, bool) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		p.log.Warn("an undecodable QQ event was skipped", "err", err, "bytes", len(raw))
		return bot.Incoming{}, false
	}
	self := p.SelfID()
	switch ev.PostType {
	case "message":
		return p.message(ctx, ev, self)
	case "notice":
		return p.notice(ctx, ev, self)
	}
	// message_sent (the bot's own messages), request, and future kinds.
	return bot.Incoming{}, false
}

func (p *Platform) message(ctx context.Context, ev event, self int64) (bot.Incoming, bool) {
	uid := int64(ev.UserID)
	if uid == 0 {
		uid = int64(ev.Sender.UserID)
	}
	if uid == 0 || uid == self {
		return bot.Incoming{}, false // our own, with reportSelfMessage on
	}
	text, mentioned := ev.Message.PlainText(ID(self).String())
	if text == "" && ev.Message.ImageURL() == "" {
		return bot.Incoming{}, false // a sticker: nothing to read (a picture without words goes on)
	}
	name := ev.Sender.Card
	if name == "" {
		name = ev.Sender.Nickname
	}
	if name == "" {
		name = ID(uid).String()
	}
	m := bot.Message{
		Platform: Name, SenderID: ID(uid).String(), SenderName: name, Text: text,
		ID: ev.MessageID.String(), MentionsBot: mentioned, ReplyTo: ev.Message.ReplyTo(), Image: ev.Message.ImageURL(),
	}
	if ev.Time > 0 {
		m.Time = time.Unix(ev.Time, 0)
	}
	switch ev.MessageType {
	case "group":
		if ev.SubType == "anonymous" {
			return bot.Incoming{}, false // no identity to act on
		}
		m.ChatKind, m.ChatID = bot.Group, ev.GroupID.String()
		m.ChatTitle = p.groupTitle(ctx, m.ChatID, ev.GroupName)
	case "private":
		m.ChatKind, m.ChatID, m.ChatTitle = bot.Private, PrivatePrefix+m.SenderID, name
	default:
		return bot.Incoming{}, false
	}
	return bot.Incoming{Lane: m.ChatID, Message: &m}, true
}

// notice turns the bot's joining and leaving a group into chat events, and
// keeps track of the bot being muted.
func (p *Platform) notice(ctx context.Context, ev event, self int64) (bot.Incoming, bool) {
	if int64(ev.UserID) != self || ev.GroupID == 0 {
		return bot.Incoming{}, false // members come and go: nothing to do yet
	}
	group := ev.GroupID.String()
	chatEvent := func(kind bot.ChatEventKind) (bot.Incoming, bool) {
		e := bot.ChatEvent{Kind: kind, Platform: Name, ChatID: group, ChatKind: bot.Group, Title: p.groupTitle(ctx, group, ev.GroupName)}
		return bot.Incoming{Lane: group, Event: &e}, true
	}
	switch ev.NoticeType {
	case "group_increase":
		return chatEvent(bot.ChatJoined)
	case "group_decrease":
		p.log.Warn("the bot left or was removed from a QQ group", "group", group, "sub_type", ev.SubType)
		return chatEvent(bot.ChatLeft)
	case "group_ban":
		p.mu.Lock()
		if ev.SubType == "lift_ban" || ev.Duration <= 0 {
			delete(p.muted, group)
		} else {
			p.muted[group] = time.Now().Add(time.Duration(ev.Duration) * time.Second)
		}
		p.mu.Unlock()
		p.log.Warn("the bot's mute in a QQ group changed; no messages go there while muted", "group", group, "sub_type", ev.SubType, "seconds", ev.Duration)
	}
	return bot.Incoming{}, false
}

// groupTitle is the group's name: from the event (NapCat sends it), from
// memory, or asked of the bridge once (get_group_info).
func (p *Platform) groupTitle(ctx context.Context, group, fromEvent string) string {
	p.mu.Lock()
	if fromEvent != "" {
		p.titles[group] = fromEvent
	}
	title := p.titles[group]
	p.mu.Unlock()
	if title != "" {
		return title
	}
	if c, _ := p.actionConn(); c != nil {
		var info struct {
			GroupName string `json:"group_name"`
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.call(cctx, "get_group_info", map[string]any{"group_id": mustID(group)}, &info)
		cancel()
		if err == nil && strings.TrimSpace(info.GroupName) != "" {
			p.mu.Lock()
			p.titles[group] = info.GroupName
			p.mu.Unlock()
			return info.GroupName
		}
	}
	return "QQ群" + group
}
