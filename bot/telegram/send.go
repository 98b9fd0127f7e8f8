package telegram

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/branchbot/branchbot/bot"
)

// MaxText is Telegram's limit for a message's text, in UTF-16 code units.
const MaxText = 4096

// maxToast is Telegram's limit for a button answer's text.
const maxToast = 200

// inlineKeyboard is the reply_markup sent with buttons. The library's own
// InlineKeyboardButton always encodes an empty "copy_text" object, which the
// Bot API may refuse (BUTTON_COPY_TEXT_INVALID); this type sends only text
// and callback_data.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// Send implements bot.Platform. A text longer than Telegram allows goes out
// in several messages, split at line ends; the mention and reply go with the
// first, the buttons with the last, whose id is returned. The outbox stores
// how many parts Telegram took (Outbound.PartSent): a later try sends only
// the parts still missing, so a refused part never repeats the ones before
// it, even after a restart.
func (p *Platform) Send(ctx context.Context, m bot.Outbound) (string, error) {
	chatID, err := strconv.ParseInt(m.ChatID, 10, 64)
	if err != nil {
		return "", &bot.PermanentError{Err: fmt.Errorf("telegram chat id %q is not a number", m.ChatID)}
	}
	if m.File != "" {
		return p.sendDocument(ctx, chatID, m)
	}
	text, ents := withMention(m)
	markup, err := p.keyboard(ctx, m.Buttons)
	if err != nil {
		return "", err
	}
	spans := splitSpans(text, MaxText)
	start := min(m.PartsSent, len(spans)-1)
	var last *models.Message
	for i := start; i < len(spans); i++ {
		part := text[spans[i][0]:spans[i][1]]
		// Each part carries the mentions that fall in it.
		params := &tgbot.SendMessageParams{ChatID: chatID, Text: part, Entities: entitiesIn(text, ents, spans[i][0], spans[i][1])}
		if i == 0 {
			if id, err := strconv.Atoi(m.ReplyTo); err == nil && m.ReplyTo != "" {
				params.ReplyParameters = &models.ReplyParameters{MessageID: id, AllowSendingWithoutReply: true}
			}
		}
		if i == len(spans)-1 && markup != nil {
			params.ReplyMarkup = markup
		}
		cctx, cancel := p.detach(ctx)
		last, err = p.b.SendMessage(cctx, params)
		cancel()
		if err != nil {
			return "", p.classify(err)
		}
		if i < len(spans)-1 && m.PartSent != nil {
			m.PartSent(i + 1)
		}
	}
	return strconv.Itoa(last.ID), nil
}

// MaxCaption is Telegram's limit for a document's caption, in UTF-16 code
// units.
const MaxCaption = 1024

// sendDocument uploads m.File with sendDocument (multipart), the text as its
// caption (cut at Telegram's limit; features keep it short), the mention,
// reply and buttons as for a text.
func (p *Platform) sendDocument(ctx context.Context, chatID int64, m bot.Outbound) (string, error) {
	f, err := os.Open(m.File)
	if err != nil {
		return "", &bot.PermanentError{Err: fmt.Errorf("file to send: %w", err)}
	}
	defer f.Close()
	caption, ents := withMention(m)
	if utf16Len(caption) > MaxCaption {
		p.log.Warn("caption too long for a document; cut", "chat", m.ChatID, "file", filepath.Base(m.File))
		caption = truncateUTF16(caption, MaxCaption)
		ents = entitiesIn(caption, ents, 0, len(caption))
	}
	markup, err := p.keyboard(ctx, m.Buttons)
	if err != nil {
		return "", err
	}
	params := &tgbot.SendDocumentParams{
		ChatID: chatID, Caption: caption, CaptionEntities: ents,
		Document: &models.InputFileUpload{Filename: filepath.Base(m.File), Data: f},
	}
	if id, err := strconv.Atoi(m.ReplyTo); err == nil && m.ReplyTo != "" {
		params.ReplyParameters = &models.ReplyParameters{MessageID: id, AllowSendingWithoutReply: true}
	}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	cctx, cancel := p.detach(ctx)
	defer cancel()
	sent, err := p.b.SendDocument(cctx, params)
	if err != nil {
		return "", p.classify(err)
	}
	return strconv.Itoa(sent.ID), nil
}

// Edit implements bot.Editor with editMessageText. "Message is not modified"
// counts as done. A message that can no longer be edited (deleted, or too
// old) is sent anew instead.
func (p *Platform) Edit(ctx context.Context, messageID string, m bot.Outbound) error {
	chatID, err := strconv.ParseInt(m.ChatID, 10, 64)
	if err != nil {
		return &bot.PermanentError{Err: fmt.Errorf("telegram chat id %q is not a number", m.ChatID)}
	}
	msgID, err := strconv.Atoi(messageID)
	if err != nil {
		return &bot.PermanentError{Err: fmt.Errorf("telegram message id %q is not a number", messageID)}
	}
	text, ents := withMention(m)
	text = truncateUTF16(text, MaxText)
	ents = entitiesIn(text, ents, 0, len(text))
	markup, err := p.keyboard(ctx, m.Buttons)
	if err != nil {
		return err
	}
	params := &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text, Entities: ents}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	cctx, cancel := p.detach(ctx)
	_, err = p.b.EditMessageText(cctx, params)
	cancel()
	if err == nil || isBadRequest(err, "message is not modified") {
		return nil
	}
	if isBadRequest(err, "message to edit not found") || isBadRequest(err, "message can't be edited") {
		p.log.Info("message cannot be edited; sending it anew", "chat", m.ChatID, "message", messageID)
		_, err := p.Send(ctx, m)
		return err
	}
	return p.classify(err)
}

// detach lets a send that starts finish even if ctx is cancelled meanwhile
// (a shutdown): a message Telegram accepted is then recorded as delivered
// instead of staying pending and going out again after a restart. It is
// bounded by Options.SendTimeout. A send asked for after cancellation fails
// at once.
func (p *Platform) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() != nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), p.o.SendTimeout)
}

// AnswerCallback implements bot.CallbackAnswerer: the text is shown to the
// presser only, as a toast, or as an alert when it is long.
func (p *Platform) AnswerCallback(ctx context.Context, callbackID, text string) error {
	p.cbMu.Lock()
	answered, handling := p.callbacks[callbackID]
	if handling {
		p.callbacks[callbackID] = true
	}
	p.cbMu.Unlock()
	if answered {
		// Telegram takes one answer per press; a second one would fail.
		p.log.Info("button press already answered; dropping a second answer", "text", text)
		return nil
	}
	_, err := p.b.AnswerCallbackQuery(ctx, callbackParams(callbackID, text))
	if err != nil {
		return p.classify(err)
	}
	return nil
}

func callbackParams(id, text string) *tgbot.AnswerCallbackQueryParams {
	text = truncateUTF16(strings.TrimSpace(text), maxToast)
	return &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: id,
		Text:            text,
		ShowAlert:       strings.Contains(text, "\n") || utf8.RuneCountInString(text) > 60,
	}
}

// keyboard builds the inline keyboard, replacing data longer than 64 bytes
// by a stored token.
func (p *Platform) keyboard(ctx context.Context, rows [][]bot.Button) (*inlineKeyboard, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	kb := &inlineKeyboard{}
	for _, row := range rows {
		var out []inlineButton
		for _, b := range row {
			data, err := p.buttonData(ctx, b.Data)
			if err != nil {
				return nil, err
			}
			text := b.Text
			if strings.TrimSpace(text) == "" {
				text = b.Data
			}
			out = append(out, inlineButton{Text: text, CallbackData: data})
		}
		if len(out) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, out)
		}
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil, nil
	}
	return kb, nil
}

// withMention puts "@Name " before the text for m.Mention, and returns
// the text with a text_mention entity for it and for each of m.Mentions
// the text names: a text_mention notifies the member even without a
// Telegram username. A member whose id is not a Telegram user id is named
// as text only.
func withMention(m bot.Outbound) (string, []models.MessageEntity) {
	text, shift := m.Text, 0
	var ents []models.MessageEntity
	if m.Mention != nil && m.Mention.Name != "" {
		label := "@" + m.Mention.Name
		text, shift = label+" "+text, len(label)+1
		if e, ok := textMention(*m.Mention, 0, utf16Len(label)); ok {
			ents = append(ents, e)
		}
	}
	for _, sp := range bot.MentionSpans(m.Text, m.Mentions) {
		if e, ok := textMention(sp.Mention, utf16Len(text[:shift+sp.Start]), utf16Len(m.Text[sp.Start:sp.End])); ok {
			ents = append(ents, e)
		}
	}
	return text, ents
}

func textMention(m bot.Mention, offset, length int) (models.MessageEntity, bool) {
	uid, err := strconv.ParseInt(m.UserID, 10, 64)
	if err != nil || uid == 0 {
		return models.MessageEntity{}, false
	}
	return models.MessageEntity{Type: models.MessageEntityTypeTextMention, Offset: offset, Length: length,
		User: &models.User{ID: uid, FirstName: m.Name}}, true
}

// entitiesIn returns the entities of text (UTF-16 offsets) that lie wholly
// within text[start:end] (byte offsets), with offsets from start.
func entitiesIn(text string, ents []models.MessageEntity, start, end int) []models.MessageEntity {
	from := utf16Len(text[:start])
	to := from + utf16Len(text[start:end])
	var out []models.MessageEntity
	for _, e := range ents {
		if e.Offset >= from && e.Offset+e.Length <= to {
			e.Offset -= from
			out = append(out, e)
		}
	}
	return out
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateUTF16 shortens s to at most n UTF-16 code units, marking the cut.
func truncateUTF16(s string, n int) string {
	if utf16Len(s) <= n {
		return s
	}
	used := 0
	for i, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n-1 {
			return s[:i] + "…"
		}
		used += l
	}
	return s
}

// splitText cuts text into pieces of at most n UTF-16 code units, at line
// ends where possible.
func splitText(text string, n int) []string {
	var parts []string
	for _, sp := range splitSpans(text, n) {
		parts = append(parts, text[sp[0]:sp[1]])
	}
	return parts
}

// splitSpans is splitText as byte ranges of text (a line end a cut falls
// on belongs to no part).
func splitSpans(text string, n int) [][2]int {
	var spans [][2]int
	base := 0
	for utf16Len(text[base:]) > n {
		rest := text[base:]
		cut, used, lastNL := 0, 0, -1
		for i, r := range rest {
			l := utf16.RuneLen(r)
			if used+l > n {
				cut = i
				break
			}
			used += l
			if r == '\n' {
				lastNL = i
			}
		}
		if lastNL > cut/2 {
			spans = append(spans, [2]int{base, base + lastNL})
			base += lastNL + 1
		} else {
			spans = append(spans, [2]int{base, base + cut})
			base += cut
		}
	}
	if base < len(text) || len(spans) == 0 {
		spans = append(spans, [2]int{base, len(text)})
	}
	return spans
}

// isBadRequest reports a 400 answer whose description contains s.
func isBadRequest(err error, s string) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), s)
}

// classify maps the library's errors onto the outbox's:
// 429 → RetryAfterError (the sender holds the chat that long),
// migrate_to_chat_id → ChatMigratedError, 403 and "chat not found" →
// ErrChatGone, other 400s → PermanentError, 401/404 (token revoked) →
// ErrNotConnected, a request written whose answer never came (a timeout,
// a connection lost) → ErrOutcomeUnknown; anything else is retried.
func (p *Platform) classify(err error) error {
	var (
		tooMany *tgbot.TooManyRequestsError
		migrate *tgbot.MigrateError
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNoAnswer):
		return fmt.Errorf("%w: %v", bot.ErrOutcomeUnknown, p.redact(err))
	case errors.As(err, &tooMany):
		return &bot.RetryAfterError{After: time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, Err: err}
	case errors.As(err, &migrate):
		return &bot.ChatMigratedError{NewID: strconv.Itoa(migrate.MigrateToChatID)}
	case errors.Is(err, tgbot.ErrorForbidden), isBadRequest(err, "chat not found"):
		return fmt.Errorf("%w: %v", bot.ErrChatGone, err)
	case errors.Is(err, tgbot.ErrorBadRequest):
		return &bot.PermanentError{Err: err}
	case errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
		p.log.Error("telegram refuses the bot token; messages wait until it is fixed", "err", err)
		return fmt.Errorf("%w: %v", bot.ErrNotConnected, err)
	}
	return err
}
