package qq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// maxRiskBackoff caps the account-wide pause after repeated retcode 1200.
const maxRiskBackoff = 10 * time.Minute

// historyWindow is how far before a dropped send a message found in the
// chat's history may lie and still be taken for it (clocks of the bot and
// the bridge may differ a little).
const historyWindow = 5 * time.Second

// mustID reads a chat id the adapter made itself; 0 for anything else,
// which the bridge refuses.
func mustID(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// outgoing is one send as the bridge gets it.
type outgoing struct {
	action string
	params map[string]any
	text   string // what the message's text segments say, for the history check
	group  bool
	target int64
}

// build makes the action for out: an array message (never a CQ string, so
// a member's text can never become a code), a reply segment under the
// command it answers and an at segment for each member it names.
func build(out bot.Outbound) (outgoing, error) {
	var o outgoing
	id := out.ChatID
	if rest, ok := strings.CutPrefix(id, PrivatePrefix); ok {
		id = rest
	} else {
		o.group = out.ChatKind != bot.Private
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return o, &bot.PermanentError{Err: fmt.Errorf("QQ 会话号 %q 无效", out.ChatID)}
	}
	o.target = n
	var msg []Segment
	if out.ReplyTo != "" {
		msg = append(msg, Reply(out.ReplyTo))
	}
	text := out.Text
	if out.Mention != nil && o.group {
		msg = append(msg, At(out.Mention.UserID))
		text = " " + text
	}
	msg = append(msg, withAts(text, out.Mentions, o.group)...)
	o.text = textOf(msg)
	if o.group {
		o.action, o.params = "send_group_msg", map[string]any{"group_id": n, "message": msg}
	} else {
		o.action, o.params = "send_private_msg", map[string]any{"user_id": n, "message": msg}
	}
	return o, nil
}

// withAts is text as segments: in a group, each of the members it names
// ("@姓名", bot.MentionSpans) becomes an at segment, which QQ shows as
// their name in the group and notifies them by; elsewhere the text as it
// is.
func withAts(text string, ms []bot.Mention, group bool) []Segment {
	var segs []Segment
	from := 0
	if group {
		for _, sp := range bot.MentionSpans(text, ms) {
			if n, err := strconv.ParseInt(sp.UserID, 10, 64); err != nil || n <= 0 {
				continue // not a QQ number: named as text
			}
			if sp.Start > from {
				segs = append(segs, Text(text[from:sp.Start]))
			}
			segs = append(segs, At(sp.UserID))
			from = sp.End
		}
	}
	if from < len(text) || len(segs) == 0 {
		segs = append(segs, Text(text[from:]))
	}
	return segs
}

// Send delivers one message through the live bridge connection.
func (p *Platform) Send(ctx context.Context, out bot.Outbound) (string, error) {
	o, err := build(out)
	if err != nil {
		return "", err
	}
	p.sending.Add(1)
	defer p.sending.Add(-1)
	if !p.running.Load() {
		return "", bot.ErrNotConnected
	}
	if o.group {
		if wait := p.mutedFor(out.ChatID); wait > 0 {
			return "", &bot.RetryAfterError{After: wait, Err: errors.New("机器人在该QQ群被禁言")}
		}
	}
	if wait := p.riskHold(); wait > 0 {
		return "", &bot.RetryAfterError{After: wait, Err: errors.New("QQ 账号疑似风控（retcode 1200），暂停发送")}
	}
	c, _ := p.actionConn()
	if c == nil {
		return "", bot.ErrNotConnected
	}
	if out.File != "" {
		return p.sendFile(ctx, c, out, o)
	}
	start := time.Now()
	id, err := p.sendOn(ctx, c, o)
	if errors.Is(err, errDropped) {
		return p.afterDrop(ctx, c, o, start)
	}
	if o.group && isRetcode(err, 1200) && p.notInGroup(ctx, c, o.target) {
		p.log.Warn("the bot is no longer in the QQ group", "group", o.target)
		return "", bot.ErrChatGone
	}
	return id, p.classify(err)
}

func isRetcode(err error, code int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Retcode == code
}

// notInGroup asks the bridge whether the account is still in group, after
// a send there failed: NapCat answers 1200 both for risk control and for a
// group the bot has left. It is false when the bridge cannot tell.
func (p *Platform) notInGroup(ctx context.Context, c *conn, group int64) bool {
	var groups []struct {
		GroupID ID `json:"group_id"`
	}
	if err := c.call(ctx, "get_group_list", map[string]any{"no_cache": true}, &groups); err != nil {
		return false
	}
	for _, g := range groups {
		if int64(g.GroupID) == group {
			return false
		}
	}
	return true
}

// sendOn calls the send action on c and returns the message id.
func (p *Platform) sendOn(ctx context.Context, c *conn, o outgoing) (string, error) {
	var res struct {
		MessageID ID `json:"message_id"`
	}
	if err := c.call(ctx, o.action, o.params, &res); err != nil {
		return "", err
	}
	p.mu.Lock()
	p.backoff = 0
	id := res.MessageID.String()
	p.recent[id] = true
	p.recentQ = append(p.recentQ, id)
	if len(p.recentQ) > 500 {
		delete(p.recent, p.recentQ[0])
		p.recentQ = p.recentQ[1:]
	}
	p.mu.Unlock()
	return id, nil
}

// classify maps a send's error to the outbox's kinds.
func (p *Platform) classify(err error) error {
	var ae *APIError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errClosed):
		return bot.ErrNotConnected // never written: send it when the bridge is back
	case errors.As(err, &ae):
		switch ae.Retcode {
		case 1200:
			// NapCat turns every NTQQ exception into 1200, timeouts
			// included, which is what risk control looks like: hold the
			// whole account, longer while it repeats.
			wait := p.holdAccount()
			p.log.Warn("QQ send failed with retcode 1200 (timeout or risk control); holding every send", "for", wait, "err", ae.Message)
			return &bot.RetryAfterError{After: wait, Err: err}
		case 1400, 1401, 1403, 1404:
			return &bot.PermanentError{Err: err}
		}
		return err
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %v", bot.ErrOutcomeUnknown, err)
	}
	return err
}

// holdAccount starts or lengthens the pause after retcode 1200.
func (p *Platform) holdAccount() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.backoff == 0 {
		p.backoff = p.o.RiskBackoff
	} else {
		p.backoff = min(2*p.backoff, maxRiskBackoff)
	}
	p.holdTil = time.Now().Add(p.backoff)
	return p.backoff
}

func (p *Platform) riskHold() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Until(p.holdTil)
}

func (p *Platform) mutedFor(group string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	until, ok := p.muted[group]
	if !ok {
		return 0
	}
	if d := time.Until(until); d > 0 {
		return d
	}
	delete(p.muted, group)
	return 0
}

// afterDrop decides a send whose connection closed before it was answered:
// the bridge may have sent it. Once a new connection is confirmed, the
// chat's recent history tells: found, it was delivered; not found, it is
// sent again, once. When the bridge does not come back in time or its
// history cannot tell, the outcome is unknown and the message is not sent
// again (a duplicate in a group is worse than a notice that a message may
// be missing, which /broadcast status shows).
func (p *Platform) afterDrop(ctx context.Context, old *conn, o outgoing, start time.Time) (string, error) {
	log := p.log.With("action", o.action, "target", o.target)
	c, err := p.waitNewConn(ctx, old)
	if err != nil {
		log.Warn("the bridge dropped a pending send and did not come back: outcome unknown", "err", err)
		return "", fmt.Errorf("%w: %v; the bridge did not reconnect within %s", bot.ErrOutcomeUnknown, errDropped, p.o.ReconnectWait)
	}
	id, found, err := p.findSent(ctx, c, o, start)
	if err != nil {
		log.Warn("the bridge dropped a pending send and its history cannot tell whether it arrived: outcome unknown", "err", err)
		return "", fmt.Errorf("%w: %v; history: %v", bot.ErrOutcomeUnknown, errDropped, err)
	}
	if found {
		log.Info("a send pending when the bridge dropped had arrived; not sent again", "message_id", id)
		return id, nil
	}
	log.Info("a send pending when the bridge dropped had not arrived; sending it again")
	id, err = p.sendOn(ctx, c, o)
	if errors.Is(err, errDropped) {
		return "", fmt.Errorf("%w: %v (twice)", bot.ErrOutcomeUnknown, errDropped)
	}
	return id, p.classify(err)
}

// waitNewConn waits for an action connection other than old.
func (p *Platform) waitNewConn(ctx context.Context, old *conn) (*conn, error) {
	t := time.NewTimer(p.o.ReconnectWait)
	defer t.Stop()
	for {
		c, changed := p.actionConn()
		if c != nil && c != old {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, errors.New("no new connection")
		case <-changed:
		}
	}
}

// findSent looks for the bot's message with o's text in the chat's recent
// history, sent since start (less historyWindow), that is not one of the
// adapter's known sends.
func (p *Platform) findSent(ctx context.Context, c *conn, o outgoing, start time.Time) (string, bool, error) {
	action, params := "get_friend_msg_history", map[string]any{"user_id": o.target, "count": 20}
	if o.group {
		action, params = "get_group_msg_history", map[string]any{"group_id": o.target, "count": 20}
	}
	var res struct {
		Messages []event `json:"messages"`
	}
	if err := c.call(ctx, action, params, &res); err != nil {
		return "", false, err
	}
	self := p.SelfID()
	since := start.Add(-historyWindow).Unix()
	for i := len(res.Messages) - 1; i >= 0; i-- {
		m := res.Messages[i]
		uid := int64(m.UserID)
		if uid == 0 {
			uid = int64(m.Sender.UserID)
		}
		if uid != self || m.Time < since {
			continue
		}
		id := m.MessageID.String()
		p.mu.Lock()
		known := p.recent[id]
		p.mu.Unlock()
		if known {
			continue
		}
		if textOf(m.Message) == o.text {
			return id, true, nil
		}
	}
	return "", false, nil
}

// textOf is a message's text segments joined and trimmed.
func textOf(m Message) string {
	var b strings.Builder
	for _, s := range m {
		if s.Type == "text" {
			b.WriteString(s.Data["text"])
		}
	}
	return strings.TrimSpace(b.String())
}

// sendFile sends the caption (the message's text, as a message of its
// own: QQ shows no caption with a file) and then uploads the file with
// upload_group_file / upload_private_file, giving the bridge the file's
// path: the bridge must be able to read it there (Options.Files). A
// caption taken is recorded (bot.Outbound.PartSent), so a refused upload is
// tried again without the caption.
func (p *Platform) sendFile(ctx context.Context, c *conn, out bot.Outbound, o outgoing) (string, error) {
	path, err := filepath.Abs(out.File)
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		return "", &bot.PermanentError{Err: fmt.Errorf("要发送的文件 %s 不可用：%w", filepath.Base(out.File), err)}
	}
	fail := func(err error) (string, error) {
		if errors.Is(err, errDropped) {
			return "", fmt.Errorf("%w: %v", bot.ErrOutcomeUnknown, err)
		}
		if o.group && isRetcode(err, 1200) && p.notInGroup(ctx, c, o.target) {
			return "", bot.ErrChatGone
		}
		return "", p.classify(err)
	}
	var id string
	if strings.TrimSpace(out.Text) != "" && out.PartsSent < 1 {
		if id, err = p.sendOn(ctx, c, o); err != nil {
			return fail(err)
		}
		if out.PartSent != nil {
			out.PartSent(1)
		}
	}
	name := filepath.Base(path)
	action, params := "upload_private_file", map[string]any{"user_id": o.target, "file": path, "name": name}
	if o.group {
		action, params = "upload_group_file", map[string]any{"group_id": o.target, "file": path, "name": name}
	}
	if err := c.call(ctx, action, params, nil); err != nil {
		if isRetcode(err, 1200) && !(o.group && p.notInGroup(ctx, c, o.target)) {
			// More likely a path the bridge cannot read than risk
			// control: this message waits and tries again, the account
			// does not.
			p.log.Warn("QQ bridge did not upload a file; check that it can read the path", "path", path, "err", err)
			return "", fmt.Errorf("QQ 桥接程序未能上传文件 %s（它须能读取 %s）: %w", name, path, err)
		}
		return fail(err)
	}
	return id, nil
}
