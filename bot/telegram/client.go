package telegram

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
)

// errNoAnswer marks a call whose request was written to Telegram but whose
// answer never came (a timeout, a connection lost while waiting): Telegram
// may have done it. For a send it is an unknown outcome, not a failure.
var errNoAnswer = errors.New("request sent, no answer")

// apiClient is the HTTP client handed to the library. For every call but
// getUpdates it notes whether the request was written before the call
// failed, and reads the whole answer while the call's context is alive:
// a failure after the request left is errNoAnswer.
type apiClient struct {
	c *http.Client
}

func newAPIClient(c *http.Client) *apiClient { return &apiClient{c: c} }

func (a *apiClient) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/getUpdates") {
		return a.c.Do(req)
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			wrote.Store(true)
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := a.c.Do(req)
	if err != nil {
		if wrote.Load() {
			return nil, fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: read answer: %w", errNoAnswer, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
