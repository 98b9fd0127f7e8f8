package assist_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/assist"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/configs"
)

type env struct {
	h    *commandtest.Harness
	fake *fakeOpenAI
	cfg  configs.LLMConfig
	logs *commandtest.SyncBuffer
	ai   *assist.Assistant
}

// newEnv opens a harness (real SQLite, demo roster) and an Assistant using
// the real go-openai client against a fake server.
func newEnv(t *testing.T, reply func(openai.ChatCompletionRequest) fakeAnswer, mod func(*configs.LLMConfig)) *env {
	t.Helper()
	e := &env{h: commandtest.New(t, commandtest.Options{}), fake: newFakeOpenAI(t, reply), logs: &commandtest.SyncBuffer{}}
	e.cfg = configs.LLMConfig{BaseURL: e.fake.URL(), APIKey: fakeKey, Model: "test-model", Timeout: 5 * time.Second, DailyBudget: 100}
	if mod != nil {
		mod(&e.cfg)
	}
	e.open(t)
	return e
}

func (e *env) open(t *testing.T) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	ai, err := assist.New(e.cfg, e.h.DB, log, e.h.Engine.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.ai = ai
}

func answer(content string) func(openai.ChatCompletionRequest) fakeAnswer {
	return func(openai.ChatCompletionRequest) fakeAnswer { return fakeAnswer{Content: content} }
}

var categories = []string{"党务", "学生事务"}

// ticketsAssistant is the interface the tickets feature defines; the
// Assistant must satisfy it without importing commands/tickets.
type ticketsAssistant interface {
	Classify(ctx context.Context, text string, categories []string) (category string, err error)
	Draft(ctx context.Context, suggestion string, thread []string) (string, error)
}

var _ ticketsAssistant = (*assist.Assistant)(nil)

// route is what the tickets feature does with the Assistant: the model's
// category if it gives a valid one, else the configured keyword rules.
func route(ctx context.Context, t *testing.T, ai *assist.Assistant, text string) (category, decidedBy string) {
	if c, err := ai.Classify(ctx, text, categories); err == nil {
		return c, "model"
	}
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.SLA.Categories {
		for _, k := range c.Keywords {
			if strings.Contains(text, k) {
				return c.Name, "keywords"
			}
		}
	}
	return "", "keywords"
}

func TestClassifyValid(t *testing.T) {
	e := newEnv(t, answer(`{"category":"党务"}`), nil)
	ctx := context.Background()
	text := "我是张三（2023001），手机13912345678。想问宿舍的入党申请书交给谁？"
	got, by := route(ctx, t, e.ai, text)
	if got != "党务" || by != "model" {
		t.Fatalf("route = %q by %s, want 党务 by model", got, by)
	}
	// The keywords alone would have said 学生事务 (宿舍): the model decided.
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal([]byte(e.fake.Bodies()[0]), &req); err != nil {
		t.Fatal(err)
	}
	if req.Model != "test-model" || len(req.Messages) != 2 || !strings.Contains(req.Messages[0].Content, `["党务","学生事务"]`) {
		t.Fatalf("unexpected request: %+v", req)
	}
	if want := "我是[成员1]（[编号1]），手机[电话1]。想问宿舍的入党申请书交给谁？"; req.Messages[1].Content != want {
		t.Fatalf("user message = %q, want %q", req.Messages[1].Content, want)
	}

	// A fenced answer with spaces is still the JSON asked for.
	e.fake.SetReply(answer("```json\n{ \"category\": \" 学生事务 \" }\n```"))
	if c, err := e.ai.Classify(ctx, "食堂太贵", categories); err != nil || c != "学生事务" {
		t.Fatalf("Classify = %q, %v", c, err)
	}
}

func TestClassifyFailuresFallBackToKeywords(t *testing.T) {
	tests := []struct {
		name    string
		reply   fakeAnswer
		wantErr error
	}{
		{"invalid json", fakeAnswer{Content: "这条建议属于党务类。"}, assist.ErrInvalidAnswer},
		{"truncated json", fakeAnswer{Content: `{"category":"党`}, assist.ErrInvalidAnswer},
		{"unknown category", fakeAnswer{Content: `{"category":"后勤保障"}`}, assist.ErrInvalidAnswer},
		{"empty answer", fakeAnswer{Content: ""}, assist.ErrInvalidAnswer},
		{"429", fakeAnswer{Status: http.StatusTooManyRequests}, nil},
		{"500", fakeAnswer{Status: http.StatusInternalServerError}, nil},
		{"timeout", fakeAnswer{Hang: true}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(openai.ChatCompletionRequest) fakeAnswer { return tt.reply }, func(c *configs.LLMConfig) {
				c.Timeout = 300 * time.Millisecond
			})
			ctx := context.Background()
			started := time.Now()
			_, err := e.ai.Classify(ctx, "宿舍楼热水经常停，能否改善？", categories)
			if err == nil {
				t.Fatal("Classify succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.name == "429" {
				var apiErr *openai.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusTooManyRequests {
					t.Fatalf("error = %v, want the 429 API error", err)
				}
				if txt := e.ai.UserText(err); !strings.Contains(txt, "繁忙") {
					t.Fatalf("UserText = %q", txt)
				}
			}
			if tt.name == "timeout" {
				if took := time.Since(started); took > 3*time.Second {
					t.Fatalf("timeout took %s", took)
				}
				if txt := e.ai.UserText(err); !strings.Contains(txt, "超时") {
					t.Fatalf("UserText = %q", txt)
				}
			}
			if e.fake.Count() != 1 {
				t.Fatalf("server got %d requests, want 1 (no retries)", e.fake.Count())
			}
			got, by := route(ctx, t, e.ai, "宿舍楼热水经常停，能否改善？")
			if got != "学生事务" || by != "keywords" {
				t.Fatalf("route = %q by %s, want 学生事务 by keywords", got, by)
			}
			u, err := e.ai.UsageToday(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantFailures := 2 // transport failures; an invalid answer still cost a request
			if tt.wantErr == assist.ErrInvalidAnswer {
				wantFailures = 0
			}
			if u.Requests != 2 || u.Failures != wantFailures {
				t.Fatalf("usage = %+v", u)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "purpose=classify") || strings.Contains(logs, "热水") {
				t.Fatalf("log must name the call but not its text:\n%s", logs)
			}
		})
	}
}

func TestDraft(t *testing.T) {
	var got openai.ChatCompletionRequest
	e := newEnv(t, func(req openai.ChatCompletionRequest) fakeAnswer {
		got = req
		return fakeAnswer{Content: "<think>先想想</think>[成员1]同学：您好！感谢您对党费缴纳工作的关注。您反映的问题我们已转[成员2]老师核实（待核实），将于近期答复。组织部"}
	}, nil)
	draft, err := e.ai.Draft(context.Background(), "我是李四，党费怎么交？可以打我电话 18600001111。",
		[]string{"成员 李四：上个月的也没交", "工作人员 刘芳：已收到，正在了解"})
	if err != nil {
		t.Fatal(err)
	}
	want := "李四同学：您好！感谢您对党费缴纳工作的关注。您反映的问题我们已转刘芳老师核实（待核实），将于近期答复。组织部"
	if draft != want {
		t.Fatalf("draft = %q\nwant    %q", draft, want)
	}
	user := userContent(got)
	for _, s := range []string{"李四", "刘芳", "18600001111"} {
		if strings.Contains(user, s) {
			t.Fatalf("request contains %q: %s", s, user)
		}
	}
	if !strings.Contains(user, "上个月的也没交") || !strings.Contains(user, "[电话1]") || !strings.Contains(got.Messages[0].Content, "公文") {
		t.Fatalf("request lacks the thread or the tone: %+v", got.Messages)
	}
}

func TestBudgetSurvivesRestartAndResetsAtLocalMidnight(t *testing.T) {
	e := newEnv(t, answer(`{"category":"党务"}`), func(c *configs.LLMConfig) { c.DailyBudget = 2 })
	ctx := context.Background()
	e.h.Clock.Set(time.Date(2026, 11, 23, 23, 30, 0, 0, commandtest.Shanghai))
	for i := range 2 {
		if _, err := e.ai.Classify(ctx, "入党", categories); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := e.ai.Classify(ctx, "入党", categories)
	if !errors.Is(err, assist.ErrBudgetExhausted) {
		t.Fatalf("third call: %v, want budget exhausted", err)
	}
	if _, err := e.ai.Draft(ctx, "入党", nil); !errors.Is(err, assist.ErrBudgetExhausted) {
		t.Fatalf("draft after budget: %v", err)
	}
	if txt := e.ai.UserText(err); txt != "今日智能助手的调用次数已用完（每日 2 次），请明天再试。" {
		t.Fatalf("UserText = %q", txt)
	}
	if n := e.fake.Count(); n != 2 {
		t.Fatalf("server got %d requests, want 2", n)
	}

	e.h.Restart()
	e.open(t)
	if _, err := e.ai.Classify(ctx, "入党", categories); !errors.Is(err, assist.ErrBudgetExhausted) {
		t.Fatalf("after restart: %v, want budget exhausted", err)
	}
	// 00:10 in Shanghai is still 16:10 UTC of the same UTC day: the budget
	// follows the engine's time zone.
	e.h.Clock.Set(time.Date(2026, 11, 24, 0, 10, 0, 0, commandtest.Shanghai))
	if _, err := e.ai.Classify(ctx, "入党", categories); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if n := e.fake.Count(); n != 3 {
		t.Fatalf("server got %d requests, want 3", n)
	}
	u, err := e.ai.UsageToday(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.Day != "2026-11-24" || u.Requests != 1 || u.PromptTokens == 0 || u.CompletionTokens != len([]rune(`{"category":"党务"}`)) {
		t.Fatalf("usage = %+v", u)
	}
	if !strings.Contains(e.logs.String(), "daily budget used up") {
		t.Fatalf("refusals are not logged:\n%s", e.logs)
	}
}

// Concurrent requests cannot overdraw the budget: each reads the day's
// usage and counts itself in one transaction.
func TestBudgetIsAtomic(t *testing.T) {
	e := newEnv(t, answer(`{"category":"党务"}`), func(c *configs.LLMConfig) { c.DailyBudget = 5 })
	ctx := context.Background()
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		granted atomic.Int32
	)
	for range 50 {
		wg.Go(func() {
			<-start
			ok, err := assist.Reserve(ctx, e.ai)
			if err != nil {
				t.Error(err)
			}
			if ok {
				granted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if granted.Load() != 5 {
		t.Fatalf("granted %d requests with a budget of 5", granted.Load())
	}
	if u, err := e.ai.UsageToday(ctx); err != nil || u.Requests != 5 {
		t.Fatalf("usage = %+v, %v", u, err)
	}
	if _, err := e.ai.Classify(ctx, "入党", categories); !errors.Is(err, assist.ErrBudgetExhausted) || e.fake.Count() != 0 {
		t.Fatalf("after the budget: %v, %d requests sent", err, e.fake.Count())
	}
}

func TestDisabledSendsNothing(t *testing.T) {
	e := newEnv(t, answer(`{"category":"党务"}`), func(c *configs.LLMConfig) { c.Model = "" })
	ctx := context.Background()
	if e.ai.Enabled() {
		t.Fatal("enabled without a model")
	}
	if _, err := e.ai.Classify(ctx, "入党", categories); !errors.Is(err, assist.ErrDisabled) {
		t.Fatalf("Classify: %v", err)
	}
	if _, err := e.ai.Draft(ctx, "入党", nil); !errors.Is(err, assist.ErrDisabled) {
		t.Fatalf("Draft: %v", err)
	}
	if !strings.HasPrefix(e.ai.UserText(assist.ErrDisabled), "智能助手未启用") {
		t.Fatal(e.ai.UserText(assist.ErrDisabled))
	}
	if e.fake.Count() != 0 {
		t.Fatal("a disabled assistant sent a request")
	}
}

func TestLogsHaveTokensNotText(t *testing.T) {
	e := newEnv(t, answer("您好，已收到。"), nil)
	if _, err := e.ai.Draft(context.Background(), "食堂的菜价太贵了", []string{"周书记：请大家提意见"}); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	for _, want := range []string{`msg="llm call"`, "purpose=draft", "model=test-model", "prompt_tokens=", "completion_tokens=7", "total_tokens="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"食堂", "菜价", "请大家提意见", "周书记", "您好", "已收到"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log contains message text %q:\n%s", leak, logs)
		}
	}
}

// TestPrivacyRoundTrip echoes the redacted text back: every roster name,
// 学号/工号, phone and display name must be gone from the request and back
// in the answer, and placeholder-like text typed by a user must not turn
// into a name.
func TestPrivacyRoundTrip(t *testing.T) {
	e := newEnv(t, func(req openai.ChatCompletionRequest) fakeAnswer { return fakeAnswer{Content: userContent(req)} }, nil)
	ctx := context.Background()
	units := e.h.Engine.Units()
	branch, _ := units.ByName("第一党支部")
	if _, _, err := e.h.DB.ImportRoster(ctx, []bot.RosterEntry{{Name: "钱七", Number: "2023005", UnitID: branch.ID, Role: bot.RoleMember, Phone: "137-0000-1234"}}, e.h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	// A display name linked to 张三, and an unlinked one.
	linkZhang(t, e)
	if _, err := e.h.DB.EnsureMember(ctx, "telegram", "42", "Momo 学姐"); err != nil {
		t.Fatal(err)
	}

	text := "王老师、李明、周书记请注意：钱七（2023005，电话13700001234 或 137-0000-1234）和王五（2023003）" +
		"的材料在 Momo 学姐那里；阿三Zhang说+86 138 1234 5678 能联系到他，身份证 11010519491231002X。[成员1] 是我随手写的。"
	draft, err := e.ai.Draft(ctx, text, []string{"赵六：收到", "孙丽 T0006：已转吴班长和郑九"})
	if err != nil {
		t.Fatal(err)
	}
	body := e.fake.Bodies()[0]
	var req openai.ChatCompletionRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	secrets := append(rosterSecrets(t), "钱七", "2023005", "13700001234", "137-0000-1234", "阿三Zhang", "Momo 学姐",
		"138 1234 5678", "11010519491231002X")
	for _, s := range secrets {
		for _, where := range []string{body, req.Messages[0].Content, req.Messages[1].Content} {
			if strings.Contains(where, s) {
				t.Fatalf("request contains %q:\n%s", s, req.Messages[1].Content)
			}
		}
	}
	want := "意见建议：\n王老师、李明、周书记请注意：钱七（2023005，电话137-0000-1234 或 137-0000-1234）和王五（2023003）" +
		"的材料在 Momo 学姐那里；张三说+86 138 1234 5678 能联系到他，身份证 11010519491231002X。［成员1］ 是我随手写的。\n\n" +
		"此前的往来记录（由早到晚）：\n- 赵六：收到\n- 孙丽 T0006：已转吴班长和郑九"
	if draft != want {
		t.Fatalf("restored answer:\n%s\nwant\n%s\nrequest:\n%s", draft, want, req.Messages[1].Content)
	}
}

// rosterSecrets is every name, 学号/工号 and phone of the demo roster.
func rosterSecrets(t testing.TB) []string {
	f, err := os.Open(commandtest.RepoPath(t, "configs/demo_roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows[1:] {
		for _, i := range []int{0, 1, 4} {
			if r[i] != "" {
				out = append(out, r[i])
			}
		}
	}
	if len(out) < 28 {
		t.Fatalf("demo roster too small: %v", out)
	}
	return out
}

// TestPrivacyFullWidthAndFormerNames: numbers typed with a Chinese keyboard
// in full-width mode, with dots or spaces, old 15-digit ID numbers, and the
// former display names of renamed members never reach the model.
func TestPrivacyFullWidthAndFormerNames(t *testing.T) {
	e := newEnv(t, func(req openai.ChatCompletionRequest) fakeAnswer { return fakeAnswer{Content: userContent(req)} }, nil)
	ctx := context.Background()
	linkZhang(t, e)
	// Both rename themselves; older messages still carry the old names.
	for _, r := range [][3]string{{"wechat", "wx-zhang", "三哥"}, {"telegram", "42", "Momo 学姐"}, {"telegram", "42", "墨墨"}} {
		if _, err := e.h.DB.EnsureMember(ctx, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	text := "阿三Zhang 和 Momo 学姐 说：电话１３７１２３４５６７８ 或 138.1234.5678，学号２０２３００３，" +
		"身份证１１０１０５１９４９１２３１００２Ｘ、110105 19491231 002X，旧证 110105491231002。"
	draft, err := e.ai.Draft(ctx, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := e.fake.Bodies()[0]
	for _, s := range []string{"阿三Zhang", "Momo 学姐", "１３７１２３４５６７８", "13712345678", "138.1234.5678", "２０２３００３", "2023003",
		"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "110105 19491231 002X", "110105491231002"} {
		if strings.Contains(body, s) {
			t.Errorf("request contains %q:\n%s", s, body)
		}
	}
	// A person's names come back as their current name (张三, the roster's;
	// 墨墨, the display name now); a number as it was first written.
	for _, s := range []string{"张三 和 墨墨 说", "电话13712345678 或 138.1234.5678", "学号2023003", "身份证11010519491231002X、11010519491231002X", "旧证 110105491231002"} {
		if !strings.Contains(draft, s) {
			t.Errorf("answer lacks %q: %s", s, draft)
		}
	}
}

// linkZhang links the WeChat member 阿三Zhang to 张三 (2023001).
func linkZhang(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	m, err := e.h.DB.EnsureMember(ctx, "wechat", "wx-zhang", "阿三Zhang")
	if err != nil {
		t.Fatal(err)
	}
	z, err := e.h.DB.RosterByNumber(ctx, "2023001")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.h.DB.LinkMember(ctx, m.ID, z.ID, e.h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
}
