package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/branchbot/branchbot/bot"
)

// pollLimit is how many updates one getUpdates asks for (Telegram's most).
const pollLimit = 100

// runPolling fetches updates with getUpdates until ctx is cancelled. Each
// answer is read update by update (read), handed to the engine, which
// stores it (Receiver.Accept), and only then confirmed: the next poll's
// offset tells Telegram everything before it arrived. While the engine's
// backlog is full Accept waits, and so does the next poll: Telegram keeps
// what is not fetched. A poll cut off by a shutdown is fetched again at the
// next start; an update stored before a crash but not confirmed comes again
// and is recognised by the engine (Receiver.Accepted).
func (p *Platform) runPolling(ctx context.Context, r bot.Receiver) error {
	// A webhook left over from an earlier run would make getUpdates fail
	// with 409 Conflict.
	if err := p.retry(ctx, "delete webhook before polling", func() error {
		return p.deleteWebhook(ctx)
	}); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	stored, err := r.Accepted(ctx, Name)
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	offset := int64(0)
	if stored > 0 {
		offset = stored + 1 // what is stored needs no second fetch
	}
	p.log.Info("telegram long polling started", "timeout", p.o.PollTimeout, "offset", offset)
	wait := time.Second
	for ctx.Err() == nil {
		raws, err := p.getUpdates(ctx, offset, pollLimit, p.o.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ra *retryAfter
			if errors.As(err, &ra) {
				wait = max(wait, ra.after)
			}
			p.log.Warn("telegram getUpdates failed; trying again", "in", wait, "err", p.redact(err))
			if !bot.Sleep(ctx, wait) {
				break
			}
			wait = min(wait*2, 30*time.Second)
			continue
		}
		wait = time.Second
		items, next := p.read(raws)
		if len(items) > 0 {
			if err := r.Accept(ctx, Name, items); err != nil {
				if ctx.Err() != nil {
					break
				}
				// Not stored: not confirmed either, so fetched again.
				p.log.Error("telegram updates could not be stored; fetching them again", "err", err)
				if !bot.Sleep(ctx, time.Second) {
					break
				}
				continue
			}
		}
		offset = max(offset, next)
		if len(raws) < pollLimit {
			p.markCaughtUp()
		}
	}
	// Confirm the last batch stored, so the next start does not fetch it
	// again (the library would confirm it only with a poll of its own).
	if offset > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := p.getUpdates(cctx, offset, 1, 0); err != nil {
			p.log.Warn("shutdown: confirm stored updates", "err", p.redact(err))
		}
	}
	return nil
}

// read turns one getUpdates answer into items for the engine, one update
// at a time, and returns the offset that confirms the whole answer. An
// update that cannot be decoded (a message origin, member status or field
// type newer than the library) or translated is logged with its id and
// skipped: it is confirmed with the rest instead of failing every poll
// after it.
func (p *Platform) read(raws []json.RawMessage) (items []bot.Incoming, next int64) {
	for _, raw := range raws {
		var head struct {
			ID int64 `json:"update_id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.ID == 0 {
			p.log.Warn("telegram update without an id skipped", "update", truncate(string(raw), 200), "err", err)
			continue
		}
		next = max(next, head.ID+1)
		var u models.Update
		if err := json.Unmarshal(raw, &u); err != nil {
			p.log.Warn("telegram update could not be read; skipped", "update", head.ID, "err", err)
			continue
		}
		items = append(items, p.translateSafely(&u)...)
	}
	return items, next
}

// translateSafely is translate with a recover: an unexpected shape must not
// take the adapter down.
func (p *Platform) translateSafely(u *models.Update) (items []bot.Incoming) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("telegram update could not be translated; skipped", "update", u.ID, "panic", r, "stack", string(debug.Stack()))
			items = nil
		}
	}()
	return p.translate(u)
}

// retryAfter is a 429 answer to getUpdates.
type retryAfter struct {
	after time.Duration
	err   error
}

func (e *retryAfter) Error() string { return e.err.Error() }

// getUpdates asks for up to limit updates from offset on, held up to
// timeout, and returns them undecoded.
func (p *Platform) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]json.RawMessage, error) {
	allowed, _ := json.Marshal(allowedUpdates)
	form := url.Values{
		"offset":          {strconv.FormatInt(offset, 10)},
		"limit":           {strconv.Itoa(limit)},
		"timeout":         {strconv.Itoa(int(timeout / time.Second))},
		"allowed_updates": {string(allowed)},
	}
	var out []json.RawMessage
	err := p.call(ctx, "getUpdates", form, &out)
	return out, err
}

// deleteWebhook removes a webhook an earlier run set.
func (p *Platform) deleteWebhook(ctx context.Context) error {
	_, err := p.b.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
	return err
}

// call makes one Bot API call with form parameters and decodes its result
// into dest.
func (p *Platform) call(ctx context.Context, method string, form url.Values, dest any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.APIURL+"/bot"+p.o.Token+"/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", method, err)
	}
	var a struct {
		OK          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Description string          `json:"description"`
		ErrorCode   int             `json:"error_code"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("%s: answer is not JSON (HTTP %d): %w", method, resp.StatusCode, err)
	}
	if !a.OK {
		err := fmt.Errorf("%s: %d %s", method, a.ErrorCode, a.Description)
		if a.ErrorCode == http.StatusTooManyRequests {
			return &retryAfter{after: time.Duration(max(a.Parameters.RetryAfter, 1)) * time.Second, err: err}
		}
		return err
	}
	if dest == nil {
		return nil
	}
	if err := json.Unmarshal(a.Result, dest); err != nil {
		return fmt.Errorf("%s: result: %w", method, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
