// Package assist is branchbot's optional model help through any
// OpenAI-compatible chat completions endpoint (DeepSeek, Qwen/DashScope,
// Ollama, vLLM, ...): it classifies new suggestions and drafts answers for
// the tickets feature, and summarises a group's recent discussion
// (/summary, with per-group opt-in retention through /retain).
//
// Names, 学号/工号 and phone numbers never reach the model: they are replaced
// by placeholders such as [成员1] and put back into the answer. Every call is
// logged without any message text, with the tokens it used, and counted
// against a daily request budget kept in SQLite.
package assist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/branchbot/branchbot/configs"
)

// Errors of the Assistant. Callers that can do without the model (the
// tickets feature's keyword rules) fall back on any error.
var (
	// ErrDisabled: llm.base_url or llm.model is not configured.
	ErrDisabled = errors.New("assist: model features are not configured")
	// ErrBudgetExhausted: today's llm.daily_budget is used up; no request
	// was sent.
	ErrBudgetExhausted = errors.New("assist: daily model request budget is used up")
	// ErrInvalidAnswer: the model answered, but not usably.
	ErrInvalidAnswer = errors.New("assist: invalid model answer")
)

// User-facing texts.
const (
	DisabledText = "智能助手未启用：管理员尚未在配置中设置 llm.base_url 和 llm.model。"
	budgetText   = "今日智能助手的调用次数已用完（每日 %d 次），请明天再试。"
)

// Input limits, in runes, so one request stays within any model's context.
const (
	maxClassifyRunes = 2000
	maxDraftRunes    = 6000
)

// Assistant talks to the model. It is safe for concurrent use. A disabled
// Assistant (no base_url/model configured) is a valid value whose methods
// return ErrDisabled without any network access.
type Assistant struct {
	cfg    configs.LLMConfig
	client *openai.Client // nil when disabled
	db     Store
	log    *slog.Logger
	now    func() time.Time
}

// New makes the Assistant. It never returns a nil Assistant: when cfg is not
// enabled the result answers ErrDisabled to every call. now must be the
// engine's clock in its time zone (bot.Engine.Now): the daily budget is
// counted per calendar day of the times it returns.
func New(cfg configs.LLMConfig, db Store, log *slog.Logger, now func() time.Time) (*Assistant, error) {
	if db == nil || now == nil {
		return nil, errors.New("assist: a database and a clock are required")
	}
	if log == nil {
		log = slog.Default()
	}
	a := &Assistant{cfg: cfg, db: db, log: log.With("feature", "assist"), now: now}
	if !cfg.Enabled() {
		return a, nil
	}
	if a.cfg.Timeout <= 0 {
		a.cfg.Timeout = 20 * time.Second
	}
	if a.cfg.DailyBudget <= 0 {
		a.cfg.DailyBudget = configs.DefaultLLMDailyBudget
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// The per-call context carries the timeout; the client itself has none.
	oc.HTTPClient = &http.Client{}
	a.client = openai.NewClientWithConfig(oc)
	return a, nil
}

// Enabled reports whether the model features are configured.
func (a *Assistant) Enabled() bool { return a != nil && a.client != nil }

// DailyBudget is the number of requests allowed per day.
func (a *Assistant) DailyBudget() int { return a.cfg.DailyBudget }

func (a *Assistant) day() string { return a.now().Format("2006-01-02") }

// UsageToday is today's use of the model.
func (a *Assistant) UsageToday(ctx context.Context) (Usage, error) {
	return a.db.AssistUsageOn(ctx, a.day())
}

// UserText explains an Assistant error in Chinese, for commands that have no
// fallback.
func (a *Assistant) UserText(err error) string {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.Is(err, ErrDisabled):
		return DisabledText
	case errors.Is(err, ErrBudgetExhausted):
		return fmt.Sprintf(budgetText, a.cfg.DailyBudget)
	case errors.Is(err, context.DeadlineExceeded):
		return "智能助手暂时无法回答：请求超时，请稍后再试。"
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusTooManyRequests,
		errors.As(err, &reqErr) && reqErr.HTTPStatusCode == http.StatusTooManyRequests:
		return "智能助手暂时无法回答：模型服务繁忙或额度受限，请稍后再试。"
	case errors.Is(err, ErrInvalidAnswer):
		return "智能助手暂时无法回答：模型返回的内容无法使用，请稍后再试。"
	}
	return "智能助手暂时无法回答，请稍后再试或联系管理员。"
}

// call is one chat completion request.
type call struct {
	purpose     string // for the log: classify, draft, summary
	system      string
	user        string
	maxTokens   int
	temperature float32
}

var thinkRE = regexp.MustCompile(`(?s)<think>.*?</think>`)

// complete sends one request within the budget and returns the answer text.
// The text given must already be redacted.
func (a *Assistant) complete(ctx context.Context, c call, red *redactor) (string, error) {
	if !a.Enabled() {
		return "", ErrDisabled
	}
	day := a.day()
	ok, err := a.reserve(ctx, day)
	if err != nil {
		return "", err
	}
	if !ok {
		a.log.Warn("llm request refused: daily budget used up", "purpose", c.purpose, "day", day, "daily_budget", a.cfg.DailyBudget)
		return "", ErrBudgetExhausted
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	started := time.Now() // wall time, only to log how long the call took
	resp, err := a.client.CreateChatCompletion(cctx, openai.ChatCompletionRequest{
		Model: a.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: c.system},
			{Role: openai.ChatMessageRoleUser, Content: c.user},
		},
		MaxTokens:   c.maxTokens,
		Temperature: c.temperature,
	})
	took := time.Since(started)
	attrs := []any{
		"purpose", c.purpose, "model", a.cfg.Model, "duration_ms", took.Milliseconds(),
		"input_runes", utf8.RuneCountInString(c.system) + utf8.RuneCountInString(c.user),
		"placeholders", red.Used(), "day", day,
	}
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("model request timed out after %s: %w", a.cfg.Timeout, context.DeadlineExceeded)
		}
		if rerr := a.db.RecordAssistResult(ctx, day, true, 0, 0); rerr != nil {
			a.log.Error("record llm usage", "err", rerr)
		}
		a.log.Warn("llm call failed", append(attrs, "error", errorKind(err))...)
		return "", fmt.Errorf("%s request: %w", c.purpose, err)
	}
	u := resp.Usage
	if rerr := a.db.RecordAssistResult(ctx, day, false, u.PromptTokens, u.CompletionTokens); rerr != nil {
		a.log.Error("record llm usage", "err", rerr)
	}
	a.log.Info("llm call", append(attrs, "prompt_tokens", u.PromptTokens, "completion_tokens", u.CompletionTokens,
		"total_tokens", u.TotalTokens, "finish_reason", finishReason(resp))...)
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("%s: no choices in the answer: %w", c.purpose, ErrInvalidAnswer)
	}
	text := strings.TrimSpace(thinkRE.ReplaceAllString(resp.Choices[0].Message.Content, ""))
	if text == "" {
		return "", fmt.Errorf("%s: empty answer: %w", c.purpose, ErrInvalidAnswer)
	}
	return text, nil
}

// reserve counts one request against day's budget. It reports false,
// counting nothing, when the budget is used up. The usage is read and
// counted in one transaction, so concurrent requests cannot overdraw it.
func (a *Assistant) reserve(ctx context.Context, day string) (bool, error) {
	granted := false
	err := a.db.UpdateAssist(ctx, a.now(), func(tx Tx) error {
		u, err := tx.AssistUsage(day)
		if err != nil {
			return err
		}
		if granted = withinBudget(u, a.cfg.DailyBudget); !granted {
			return nil
		}
		return tx.CountAssistRequest(day)
	})
	if err != nil {
		return false, fmt.Errorf("reserve model request for %s: %w", day, err)
	}
	return granted, nil
}

func finishReason(r openai.ChatCompletionResponse) string {
	if len(r.Choices) == 0 {
		return ""
	}
	return string(r.Choices[0].FinishReason)
}

// errorKind describes a failed call for the log without any text the
// provider may have echoed back.
func errorKind(err error) string {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("api error: http %d, type %q, code %v", apiErr.HTTPStatusCode, apiErr.Type, apiErr.Code)
	case errors.As(err, &reqErr):
		return fmt.Sprintf("request error: http %d", reqErr.HTTPStatusCode)
	}
	return fmt.Sprintf("%T", err)
}

// redactor builds the privacy filter for one request from the roster and
// the members the bot knows, plus any extra names.
func (a *Assistant) redactor(ctx context.Context, extraNames []string) (*redactor, error) {
	people, err := a.db.PrivacyPeople(ctx)
	if err != nil {
		return nil, fmt.Errorf("load names to redact: %w", err)
	}
	return newRedactor(people, extraNames), nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

const placeholderNote = "文中形如 [成员1]、[编号1]、[电话1] 的内容是为保护隐私而替换的占位符，提到相应的人或号码时请原样使用占位符。"

// Classify puts a suggestion into one of categories. The model answers JSON
// ({"category":"党务"}); any failure — disabled, budget, timeout, HTTP error,
// invalid JSON, a category not in the list — is an error, and the caller's
// keyword rules decide instead.
func (a *Assistant) Classify(ctx context.Context, text string, categories []string) (string, error) {
	if !a.Enabled() {
		return "", ErrDisabled
	}
	if len(categories) == 0 {
		return "", errors.New("classify: no categories")
	}
	red, err := a.redactor(ctx, nil)
	if err != nil {
		return "", err
	}
	listJSON, _ := json.Marshal(categories)
	answer, err := a.complete(ctx, call{
		purpose: "classify",
		system: "你是高校党组织和班级的意见建议分类助手。请把用户提交的一条意见建议归入下列类别中最合适的一个：" + string(listJSON) +
			"。只输出一个 JSON 对象，格式为 {\"category\":\"类别名\"}，类别名必须与列表中的某一项完全一致，不要输出任何其他内容。" + placeholderNote,
		user:      red.Redact(truncateRunes(strings.TrimSpace(text), maxClassifyRunes)),
		maxTokens: 200,
	}, red)
	if err != nil {
		return "", err
	}
	var got struct {
		Category string `json:"category"`
	}
	if err := json.Unmarshal([]byte(extractJSON(answer)), &got); err != nil {
		return "", fmt.Errorf("classify: answer is not the JSON asked for: %w", ErrInvalidAnswer)
	}
	want := strings.TrimSpace(got.Category)
	for _, c := range categories {
		if strings.EqualFold(strings.TrimSpace(c), want) {
			return c, nil
		}
	}
	return "", fmt.Errorf("classify: category %q is not configured: %w", truncateRunes(want, 20), ErrInvalidAnswer)
}

// extractJSON takes the JSON object out of an answer that may wrap it in a
// code fence or a sentence.
func extractJSON(s string) string {
	i, j := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if i < 0 || j < i {
		return s
	}
	return s[i : j+1]
}

// Draft suggests an answer to a suggestion, in a polite official tone, for a
// staff member to edit; thread holds the earlier messages of the ticket,
// oldest first. Names in the draft are restored.
func (a *Assistant) Draft(ctx context.Context, suggestion string, thread []string) (string, error) {
	if !a.Enabled() {
		return "", ErrDisabled
	}
	red, err := a.redactor(ctx, nil)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("意见建议：\n")
	b.WriteString(red.Redact(truncateRunes(strings.TrimSpace(suggestion), maxDraftRunes/2)))
	budget := maxDraftRunes / 2
	var lines []string
	for i := len(thread) - 1; i >= 0 && budget > 0; i-- { // newest first within the budget
		l := red.Redact(truncateRunes(strings.TrimSpace(thread[i]), 1000))
		budget -= utf8.RuneCountInString(l)
		lines = append([]string{"- " + l}, lines...)
	}
	if len(lines) > 0 {
		b.WriteString("\n\n此前的往来记录（由早到晚）：\n")
		b.WriteString(strings.Join(lines, "\n"))
	}
	answer, err := a.complete(ctx, call{
		purpose: "draft",
		system: "你是高校党委和学生工作部门工作人员的写作助手。请根据成员提交的意见建议和此前的往来记录，" +
			"用礼貌、正式、简洁的公文语气起草一份中文答复，200字以内，由工作人员修改后发送。" +
			"不要编造具体的政策条文、日期、金额或承诺；需要核实的地方写「（待核实）」。只输出答复正文。" + placeholderNote,
		user:        b.String(),
		maxTokens:   800,
		temperature: 0.3,
	}, red)
	if err != nil {
		return "", err
	}
	return red.Restore(answer), nil
}

// line is one retained message prepared for a summary.
type line struct {
	At     time.Time
	Sender string
	Text   string
}

// summarize summarises lines (oldest first) of a group discussion.
func (a *Assistant) summarize(ctx context.Context, lines []line, loc *time.Location) (string, error) {
	if !a.Enabled() {
		return "", ErrDisabled
	}
	senders := make([]string, 0, len(lines))
	for _, l := range lines {
		senders = append(senders, l.Sender)
	}
	red, err := a.redactor(ctx, senders)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s %s：%s\n", l.At.In(loc).Format("01-02 15:04"), red.Person(l.Sender), red.Redact(l.Text))
	}
	answer, err := a.complete(ctx, call{
		purpose: "summary",
		system: "你是高校党支部和班级群的讨论总结助手。下面是群里最近的聊天记录，每行是「时间 发言人：内容」。" +
			"请用中文写一份简明的讨论总结：列出主要话题、形成的结论或决定、待办事项及负责人、仍有分歧或待解决的问题，" +
			"使用要点列表，不超过300字。只依据聊天记录，不要编造。" + placeholderNote,
		user:        b.String(),
		maxTokens:   1000,
		temperature: 0.2,
	}, red)
	if err != nil {
		return "", err
	}
	return red.Restore(answer), nil
}
