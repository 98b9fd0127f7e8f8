package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// apiClient is the HTTP client handed to the library. It passes every call
// through, and for getUpdates it remembers the highest update id fetched and
// can stop polling: the long poll in flight is cancelled and later polls fail
// at once with context.Canceled, which ends the library's polling loop
// quietly. Updates fetched by a poll are confirmed to Telegram by the next
// poll's offset, so once polling has stopped nothing fetched-but-unhandled
// is confirmed, and what was fetched can be waited for.
type apiClient struct {
	c *http.Client

	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc // of the poll in flight
	fetched int64
}

func newAPIClient(c *http.Client) *apiClient { return &apiClient{c: c} }

func (a *apiClient) Do(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/getUpdates") {
		return a.c.Do(req)
	}
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return nil, context.Canceled
	}
	ctx, cancel := context.WithCancel(req.Context())
	a.cancel = cancel
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.cancel = nil
		a.mu.Unlock()
		cancel()
	}()

	resp, err := a.c.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	// Read the whole answer now, while the poll's context is alive, and note
	// the update ids in it.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var r struct {
		OK     bool `json:"ok"`
		Result []struct {
			ID int64 `json:"update_id"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &r) == nil && r.OK {
		a.mu.Lock()
		for _, u := range r.Result {
			a.fetched = max(a.fetched, u.ID)
		}
		a.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// stopPolling cancels the poll in flight and refuses further polls.
func (a *apiClient) stopPolling() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopped = true
	if a.cancel != nil {
		a.cancel()
	}
}

func (a *apiClient) fetchedID() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fetched
}
