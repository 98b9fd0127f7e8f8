package assist_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// fakeOpenAI is an OpenAI-compatible chat completions server for tests. It
// records every request body and answers through reply.
type fakeOpenAI struct {
	t   testing.TB
	srv *httptest.Server

	mu     sync.Mutex
	bodies []string
	reply  func(req openai.ChatCompletionRequest) fakeAnswer
}

// fakeAnswer is what the fake does with one request.
type fakeAnswer struct {
	Status  int    // 0 = 200
	Content string // the assistant message for a 200
	Hang    bool   // never answer (until the client gives up)
}

const fakeKey = "sk-test-key"

func newFakeOpenAI(t testing.TB, reply func(openai.ChatCompletionRequest) fakeAnswer) *fakeOpenAI {
	f := &fakeOpenAI{t: t, reply: reply}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) URL() string { return f.srv.URL }

// Bodies returns the request bodies received so far.
func (f *fakeOpenAI) Bodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func (f *fakeOpenAI) Count() int { return len(f.Bodies()) }

func (f *fakeOpenAI) SetReply(reply func(openai.ChatCompletionRequest) fakeAnswer) {
	f.mu.Lock()
	f.reply = reply
	f.mu.Unlock()
}

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/chat/completions" {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+fakeKey {
		f.t.Errorf("Authorization header = %q", got)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read request: %v", err)
		return
	}
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("request is not a chat completion request: %v\n%s", err, body)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	reply := f.reply
	f.mu.Unlock()
	a := reply(req)
	switch {
	case a.Hang:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case a.Status == http.StatusTooManyRequests:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
		return
	case a.Status != 0 && a.Status != http.StatusOK:
		w.WriteHeader(a.Status)
		io.WriteString(w, `{"error":{"message":"server error","type":"server_error"}}`)
		return
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len([]rune(m.Content))
	}
	completion := len([]rune(a.Content))
	resp := map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1763859600, "model": req.Model,
		"choices": []map[string]any{{
			"index": 0, "message": map[string]any{"role": "assistant", "content": a.Content}, "finish_reason": "stop",
		}},
		"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// userContent is the user message of a request.
func userContent(req openai.ChatCompletionRequest) string {
	for _, m := range req.Messages {
		if m.Role == openai.ChatMessageRoleUser {
			return m.Content
		}
	}
	return ""
}

var placeholderRE = regexp.MustCompile(`\[(成员|编号|电话|证件)\d+\]`)

// summaryReply answers a summary request by listing the placeholders it saw
// in order of appearance, so a transcript shows what the model got and
// that the names come back. A line containing "【429】" makes it refuse.
func summaryReply(req openai.ChatCompletionRequest) fakeAnswer {
	user := userContent(req)
	if strings.Contains(user, "【429】") {
		return fakeAnswer{Status: http.StatusTooManyRequests}
	}
	var people, numbers []string
	seen := map[string]bool{}
	for _, p := range placeholderRE.FindAllString(user, -1) {
		if seen[p] {
			continue
		}
		seen[p] = true
		if strings.HasPrefix(p, "[成员") {
			people = append(people, p)
		} else {
			numbers = append(numbers, p)
		}
	}
	lines := strings.Count(strings.TrimSpace(user), "\n") + 1
	return fakeAnswer{Content: fmt.Sprintf("- 参与讨论：%s\n- 提到的号码：%s\n- 共 %d 行记录，已按时间整理。",
		orNone(people), orNone(numbers), lines)}
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "无"
	}
	return strings.Join(xs, "、")
}
