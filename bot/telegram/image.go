package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	tgbot "github.com/go-telegram/bot"

	"github.com/branchbot/branchbot/bot"
)

// FetchImage implements bot.ImageFetcher: getFile for the file's path, then
// the file from the Bot API's download address, at most max bytes. The
// address holds the bot token: errors are redacted.
func (p *Platform) FetchImage(ctx context.Context, id string, max int64) ([]byte, error) {
	f, err := p.b.GetFile(ctx, &tgbot.GetFileParams{FileID: id})
	if err != nil {
		return nil, fmt.Errorf("telegram getFile: %v", p.redact(err))
	}
	if f.FileSize > max {
		return nil, fmt.Errorf("%w: %d bytes", bot.ErrTooLarge, f.FileSize)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.b.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("telegram file request: %v", p.redact(err))
	}
	resp, err := p.client.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram file download: %v", p.redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram file download: %s", resp.Status)
	}
	data, err := bot.ReadAtMost(resp.Body, max)
	if errors.Is(err, bot.ErrTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("telegram file download: %v", p.redact(err))
	}
	return data, nil
}
