package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/branchbot/branchbot/bot"
)

// translate turns one update into what the engine handles: a message, a
// button press (as a message with CallbackID) or a chat event, each in its
// chat's lane. Updates of other kinds, and messages the bot never handles
// (from other bots, in channels), give nothing.
func (p *Platform) translate(u *models.Update) []bot.Incoming {
	var items []bot.Incoming
	switch {
	case u.Message != nil:
		items = p.translateMessage(u.Message)
	case u.CallbackQuery != nil:
		items = p.translateCallback(u.CallbackQuery)
	case u.MyChatMember != nil:
		items = p.translateMyChatMember(u.MyChatMember)
	}
	for i := range items {
		items[i].Seq = u.ID
	}
	return items
}

func chatKind(t models.ChatType) (bot.ChatKind, bool) {
	switch t {
	case models.ChatTypePrivate:
		return bot.Private, true
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		return bot.Group, true
	}
	return "", false // channels are not supported
}

func chatTitle(c models.Chat) string {
	if c.Title != "" {
		return c.Title
	}
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

func userName(u *models.User) string {
	n := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if n == "" {
		n = u.Username
	}
	return n
}

func id64(v int64) string { return strconv.FormatInt(v, 10) }

// event is a chat event in a lane.
func event(lane string, ev bot.ChatEvent) []bot.Incoming {
	ev.Platform = Name
	return []bot.Incoming{{Lane: lane, Event: &ev}}
}

func (p *Platform) translateMessage(m *models.Message) []bot.Incoming {
	kind, ok := chatKind(m.Chat.Type)
	if !ok {
		return nil
	}
	chatID := id64(m.Chat.ID)
	switch {
	case m.MigrateToChatID != 0:
		// Service message in the old group: it became a supergroup.
		newID := id64(m.MigrateToChatID)
		p.alias(newID, chatID)
		return event(p.laneFor(chatID), bot.ChatEvent{Kind: bot.ChatMigrated, ChatID: chatID, ChatKind: bot.Group, NewID: newID})
	case m.MigrateFromChatID != 0:
		// The same news from inside the new supergroup.
		old := id64(m.MigrateFromChatID)
		p.alias(chatID, old)
		return event(p.laneFor(chatID), bot.ChatEvent{Kind: bot.ChatMigrated, ChatID: old, ChatKind: bot.Group, NewID: chatID})
	case m.NewChatTitle != "":
		return event(p.laneFor(chatID), bot.ChatEvent{Kind: bot.ChatRenamed, ChatID: chatID, ChatKind: kind, Title: m.NewChatTitle})
	}
	if m.From == nil || m.From.IsBot {
		return nil // other bots (and our own echoes) never command us
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	if strings.TrimSpace(text) == "" && imageOf(m) == "" {
		return nil // a picture without words goes on: features may be waiting for one
	}
	msg := bot.Message{
		Platform:   Name,
		ChatID:     chatID,
		ChatKind:   kind,
		ChatTitle:  chatTitle(m.Chat),
		SenderID:   id64(m.From.ID),
		SenderName: userName(m.From),
		Time:       time.Unix(int64(m.Date), 0),
		ID:         strconv.Itoa(m.ID),
	}
	msg.Text, msg.MentionsBot = p.commandText(text, ents)
	msg.Image = imageOf(m)
	if kind == bot.Private {
		msg.Text = p.startAsHelp(msg.Text)
	}
	if rt := m.ReplyToMessage; rt != nil {
		msg.ReplyTo = strconv.Itoa(rt.ID)
		if rt.From != nil && rt.From.ID == p.BotID() {
			msg.MentionsBot = true
		}
	}
	return []bot.Incoming{{Lane: p.laneFor(chatID), Message: &msg}}
}

// commandText is the text to hand the engine: from the first bot command on
// when one follows other text ("收到 /checkin@ThisBot 1234" → "/checkin…"),
// without a leading @ThisBot ("@ThisBot 签到" → "签到"), else the text as
// it is. Telegram's entity offsets count UTF-16 code units. It also reports
// whether the text names the bot.
func (p *Platform) commandText(text string, ents []models.MessageEntity) (string, bool) {
	me := p.self()
	mentions := false
	for _, e := range ents {
		switch e.Type {
		case models.MessageEntityTypeMention:
			if s, ok := sliceUTF16(text, e.Offset, e.Length); ok && strings.EqualFold(strings.TrimPrefix(s, "@"), me.Username) {
				mentions = true
			}
		case models.MessageEntityTypeTextMention:
			if e.User != nil && e.User.ID == me.ID {
				mentions = true
			}
		}
	}
	for _, e := range ents {
		if e.Type != models.MessageEntityTypeBotCommand {
			continue
		}
		if e.Offset == 0 {
			return text, mentions
		}
		if i, ok := byteOffset(text, e.Offset); ok {
			return text[i:], mentions
		}
		break
	}
	// A leading @ThisBot addresses the rest to us.
	if at := "@" + me.Username; me.Username != "" && len(text) > len(at) && strings.EqualFold(text[:len(at)], at) {
		if r, _ := utf8.DecodeRuneInString(text[len(at):]); r == ' ' || r == '\n' || r == '\u3000' || r == '，' || r == ',' || r == '：' || r == ':' {
			return strings.TrimLeft(text[len(at):], " \n\u3000，,：:"), true
		}
	}
	return text, mentions
}

// startAsHelp turns Telegram's /start (sent when a member first opens the
// private chat, possibly with a deep-link payload) into /help, unless a
// feature has a start command of its own.
func (p *Platform) startAsHelp(text string) string {
	cmd, ok := bot.ParseCommand(text)
	if !ok || !cmd.Slash || cmd.Name != "start" {
		return text
	}
	if p.o.Commands != nil {
		for _, c := range p.o.Commands() {
			if c.Name == "start" && c.AppliesTo(Name) {
				return text
			}
		}
	}
	return "/help"
}

// byteOffset converts a UTF-16 offset into a byte index of s.
func byteOffset(s string, off16 int) (int, bool) {
	n := 0
	for i, r := range s {
		if n == off16 {
			return i, true
		}
		if n > off16 {
			return 0, false // inside a surrogate pair
		}
		n += utf16.RuneLen(r)
	}
	if n == off16 {
		return len(s), true
	}
	return 0, false
}

func sliceUTF16(s string, off, length int) (string, bool) {
	i, ok := byteOffset(s, off)
	if !ok {
		return "", false
	}
	j, ok := byteOffset(s[i:], length)
	if !ok {
		return "", false
	}
	return s[i : i+j], true
}

// translateCallback makes a button press a message whose text is the
// button's command line. Long data stored under a token is looked up now;
// a token no longer known is answered at once. The press is answered
// (spinner stopped) once handled if the handler said nothing.
func (p *Platform) translateCallback(cq *models.CallbackQuery) []bot.Incoming {
	var (
		chat  models.Chat
		msgID int
	)
	switch {
	case cq.Message.Message != nil:
		chat, msgID = cq.Message.Message.Chat, cq.Message.Message.ID
	case cq.Message.InaccessibleMessage != nil:
		chat, msgID = cq.Message.InaccessibleMessage.Chat, cq.Message.InaccessibleMessage.MessageID
	}
	kind, ok := chatKind(chat.Type)
	if !ok || chat.ID == 0 {
		// A button on an inline-mode message or in a channel: nothing of ours.
		go p.answerQuietly(cq.ID, "")
		return nil
	}
	data, err := p.resolveButton(context.Background(), cq.Data)
	if err != nil {
		if !errors.Is(err, bot.ErrNotFound) {
			p.log.Error("resolve button", "data", cq.Data, "err", err)
		}
		go p.answerQuietly(cq.ID, "这个按钮已失效，请重新发送命令。")
		return nil
	}
	chatID := id64(chat.ID)
	from := cq.From
	p.cbMu.Lock()
	p.callbacks[cq.ID] = false
	p.cbMu.Unlock()
	msg := bot.Message{
		Platform: Name, ChatID: chatID, ChatKind: kind, ChatTitle: chatTitle(chat),
		SenderID: id64(from.ID), SenderName: userName(&from),
		Text: data, Time: time.Now(), ID: strconv.Itoa(msgID), CallbackID: cq.ID,
	}
	done := func() {
		p.cbMu.Lock()
		answered := p.callbacks[cq.ID]
		delete(p.callbacks, cq.ID)
		p.cbMu.Unlock()
		if !answered {
			// Stop the button's spinner even if the handler said nothing.
			p.answerQuietly(cq.ID, "")
		}
	}
	return []bot.Incoming{{Lane: p.laneFor(chatID), Message: &msg, Done: done}}
}

func (p *Platform) answerQuietly(id, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.b.AnswerCallbackQuery(ctx, callbackParams(id, text)); err != nil {
		p.log.Warn("answer button press", "err", err)
	}
}

func (p *Platform) translateMyChatMember(u *models.ChatMemberUpdated) []bot.Incoming {
	kind, ok := chatKind(u.Chat.Type)
	if !ok {
		return nil
	}
	chatID := id64(u.Chat.ID)
	ev := bot.ChatEvent{ChatID: chatID, ChatKind: kind, Title: chatTitle(u.Chat)}
	switch nm := u.NewChatMember; nm.Type {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember:
		ev.Kind = bot.ChatJoined
	case models.ChatMemberTypeRestricted:
		ev.Kind = bot.ChatLeft
		if nm.Restricted != nil && nm.Restricted.IsMember {
			ev.Kind = bot.ChatJoined
		}
	case models.ChatMemberTypeLeft, models.ChatMemberTypeBanned:
		ev.Kind = bot.ChatLeft
	default:
		return nil
	}
	return event(p.laneFor(chatID), ev)
}

// alias makes a supergroup share the lane of the group it was upgraded from,
// so its first messages are handled after the migration is recorded and find
// the group's binding.
func (p *Platform) alias(newID, oldID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aliases == nil {
		p.aliases = map[string]string{}
	}
	if _, ok := p.aliases[newID]; !ok {
		p.aliases[newID] = p.laneLocked(oldID)
	}
}

// laneFor is the lane key of a chat.
func (p *Platform) laneFor(chatID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.laneLocked(chatID)
}

func (p *Platform) laneLocked(chatID string) string {
	if k, ok := p.aliases[chatID]; ok {
		return k
	}
	return chatID
}

// webhookHandler serves Telegram's webhook posts. A request without the
// configured secret token gets 401. An update is answered 200 once the
// engine has stored it (Telegram posts it again otherwise); one that cannot
// be decoded is logged with its id and answered 200, since posting it again
// would not help.
func (p *Platform) webhookHandler(ctx context.Context, r bot.Receiver) http.Handler {
	secret := []byte(p.o.Webhook.Secret)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if len(secret) > 0 && subtle.ConstantTimeCompare([]byte(req.Header.Get("X-Telegram-Bot-Api-Secret-Token")), secret) != 1 {
			p.log.Warn("webhook request with a wrong secret token", "remote", req.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, 4<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		items, _ := p.read([]json.RawMessage{body})
		if len(items) > 0 {
			if err := r.Accept(ctx, Name, items); err != nil {
				p.log.Error("webhook: update not stored; Telegram will post it again", "err", err)
				http.Error(w, "not stored", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

// imageOf is the file id of the picture a message carries: the largest size
// of a photo, or a document that is an image; "" for none.
func imageOf(m *models.Message) string {
	if n := len(m.Photo); n > 0 {
		return m.Photo[n-1].FileID
	}
	if d := m.Document; d != nil && strings.HasPrefix(d.MimeType, "image/") {
		return d.FileID
	}
	return ""
}
