package qq

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// imageTimeout bounds one picture download (the caller's context may end
// it sooner).
const imageTimeout = 60 * time.Second

// FetchImage implements bot.ImageFetcher: id is the picture's download
// address as the bridge reported it (Message.ImageURL), read with an HTTP
// GET, at most max bytes. Only http and https addresses are fetched. QQ's
// addresses carry a short-lived key; the query is left out of errors.
func (p *Platform) FetchImage(ctx context.Context, id string, max int64) ([]byte, error) {
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("qq picture address %q: not an http(s) address", shortURL(id))
	}
	ctx, cancel := context.WithTimeout(ctx, imageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("qq picture request %s: %w", shortURL(id), err)
	}
	resp, err := p.images.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the address and its key
		}
		return nil, fmt.Errorf("qq picture download %s: %w", shortURL(id), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("qq picture download %s: %s", shortURL(id), resp.Status)
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %d bytes", bot.ErrTooLarge, resp.ContentLength)
	}
	data, err := bot.ReadAtMost(resp.Body, max)
	if errors.Is(err, bot.ErrTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("qq picture download %s: %w", shortURL(id), err)
	}
	return data, nil
}

// shortURL is an address without its query (where QQ puts the key that
// opens the picture), for logs and errors.
func shortURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unreadable address)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
