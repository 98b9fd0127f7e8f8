package tickets_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/configs"
)

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, commandtest.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ticket(t testing.TB, h *commandtest.Harness, id int64) tickets.Ticket {
	t.Helper()
	tk, err := h.DB.Ticket(context.Background(), id)
	if err != nil {
		t.Fatalf("ticket %d: %v", id, err)
	}
	return tk
}

// TestDeadlinesThroughFeature files tickets at the calendar's interesting
// instants and checks the stored deadline and reminder, also after a restart.
func TestDeadlinesThroughFeature(t *testing.T) {
	tests := []struct {
		name        string
		filed       string
		days        int
		want        string
		wantReminds string
	}{
		{"Friday 16:00 is due Tuesday", "2026-03-06 16:00", 2, "2026-03-10 17:30", "2026-03-10 09:00"},
		{"Saturday is due Tuesday", "2026-03-07 10:00", 2, "2026-03-10 17:30", "2026-03-10 09:00"},
		{"Friday before 春节: the make-up Saturday counts", "2026-02-13 16:00", 2, "2026-02-24 17:30", "2026-02-24 09:00"},
		{"before 国庆 2026", "2026-09-30 10:00", 2, "2026-10-09 17:30", "2026-10-09 09:00"},
		{"last day of 国庆 2026", "2026-10-07 10:00", 2, "2026-10-09 17:30", "2026-10-09 09:00"},
		{"New Year's Eve into provisional 2027", "2026-12-31 16:00", 2, "2027-01-05 17:30", "2027-01-05 09:00"},
		{"custom business_days 3", "2026-11-23 09:00", 3, "2026-11-26 17:30", "2026-11-26 09:00"},
		{"custom business_days 1 on a Friday", "2026-11-27 09:00", 1, "2026-11-30 17:30", "2026-11-30 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, func(s *configs.SLAConfig) { s.BusinessDays = tt.days })
			h := commandtest.New(t, commandtest.Options{Config: cfg, Features: features(nil), Start: at(t, tt.filed)})
			h.Private()
			h.Say("/suggest 党课资料希望提前发")
			for round := range 2 {
				tk := ticket(t, h, 1)
				if !tk.DueAt.Equal(at(t, tt.want)) || !tk.FirstDueAt.Equal(tk.DueAt) {
					t.Errorf("round %d: due %s, want %s", round, tk.DueAt.In(commandtest.Shanghai), tt.want)
				}
				if !tk.RemindAt.Equal(at(t, tt.wantReminds)) {
					t.Errorf("round %d: remind at %s, want %s", round, tk.RemindAt.In(commandtest.Shanghai), tt.wantReminds)
				}
				h.Restart()
			}
		})
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Config: testConfig(t, nil), Features: features(nil)})
	long := strings.Repeat("长", 1001)
	for _, line := range []string{"/suggest " + long, "/suggest", "/suggest -a   ", "/followup 1 x", "/followup x y", "/mytickets abc"} {
		out := strings.Join(h.Say(line), "\n")
		if out == "" || strings.Contains(out, "已收到") {
			t.Errorf("%.30q: got %q, want a refusal", line, out)
		}
	}
	if ts, err := h.DB.TicketsFiled(context.Background(), time.Time{}, h.Clock.Now().Add(time.Hour)); err != nil || len(ts) != 0 {
		t.Fatalf("tickets after bad input: %d, %v", len(ts), err)
	}
	if out := strings.Join(h.Say("/suggest "+strings.Repeat("长", 1000)), "\n"); !strings.Contains(out, "已收到建议 #1") {
		t.Fatalf("1000 characters refused: %q", out)
	}
}

// assistant is a deterministic Assistant: it classifies by a fixed table and
// records what it was given.
type assistant struct {
	mu       sync.Mutex
	classify map[string]string // text -> answer; missing: error
	seen     []string
	draft    string
}

func (a *assistant) Classify(ctx context.Context, text string, categories []string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, text+"|"+strings.Join(categories, ","))
	if c, ok := a.classify[text]; ok {
		return c, nil
	}
	return "", errors.New("model unavailable")
}

func (a *assistant) Draft(ctx context.Context, suggestion string, thread []string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, suggestion+"|"+strings.Join(thread, ";"))
	if a.draft == "" {
		return "", errors.New("model unavailable")
	}
	return a.draft, nil
}

func TestAssistantRoutingAndDraft(t *testing.T) {
	a := &assistant{classify: map[string]string{
		"希望多组织志愿活动": "党务",     // no keyword: the model decides
		"宿舍热水经常中断":  "不存在的类别", // unknown answer: keywords decide
	}, draft: "感谢建议，我们将在下周安排。"}
	h := commandtest.New(t, commandtest.Options{Config: testConfig(t, nil), Features: features(a),
		Caps: bot.Capabilities{Private: true}})
	h.Group("组织部")
	h.As("王老师")
	h.Say("/bind 组织部")
	h.As("刘芳")
	h.LinkSpeaker("T0003")
	h.Group("第一党支部")
	h.As("张三")
	h.LinkSpeaker("2023001")
	h.Say("/suggest 希望多组织志愿活动")
	h.Say("/suggest 宿舍热水经常中断")
	h.Say("/suggest 党费能否线上交") // model fails: keywords decide
	h.Say("/followup 1 最好每月一次")
	checks := []struct {
		id              int64
		category, by    string
		dept            string
		announcedInDept string
	}{
		{1, "党务", tickets.DecidedByLLM, "组织部", "组织部"},
		{2, "学生事务", tickets.DecidedByKeywords, "学生工作部", ""},
		{3, "党务", tickets.DecidedByKeywords, "组织部", "组织部"},
	}
	for _, c := range checks {
		tk := ticket(t, h, c.id)
		if tk.Category != c.category || tk.DecidedBy != c.by || h.Engine.Units().Name(tk.DepartmentID) != c.dept || tk.RoutedAt.IsZero() {
			t.Errorf("ticket %d: %s by %s to %s (routed %v), want %s by %s to %s", c.id, tk.Category, tk.DecidedBy,
				h.Engine.Units().Name(tk.DepartmentID), tk.RoutedAt, c.category, c.by, c.dept)
		}
	}
	for _, s := range a.seen {
		if strings.Contains(s, "张三") {
			t.Errorf("the assistant was given the filer's name: %q", s)
		}
	}

	// /draft: only to the staff member who asked.
	h.Group("组织部")
	h.As("刘芳")
	if out := strings.Join(h.Say("/draft 1"), "\n"); !strings.Contains(out, "请在与机器人的私聊中发送 /draft 1") {
		t.Fatalf("draft in a group without a known private chat: %q", out)
	}
	h.Private()
	out := strings.Join(h.Say("/draft 1"), "\n")
	if !strings.Contains(out, "[私聊 刘芳]") || !strings.Contains(out, "感谢建议，我们将在下周安排。") || strings.Contains(out, "第一党支部") {
		t.Fatalf("draft in private: %q", out)
	}
	h.Group("组织部")
	out = strings.Join(h.Say("/起草 1"), "\n")
	if !strings.Contains(out, "[私聊 刘芳] branchbot: 建议 #1 的答复草稿") || !strings.Contains(out, "[组织部] branchbot: 建议 #1 的答复草稿已私信发给你。") {
		t.Fatalf("draft asked in the department chat: %q", out)
	}
	last := a.seen[len(a.seen)-1]
	if last != "希望多组织志愿活动|提建议人补充：最好每月一次" {
		t.Errorf("draft input = %q", last)
	}
	if tk := ticket(t, h, 1); tk.State != tickets.StateOpen || !tk.FirstResponseAt.IsZero() {
		t.Errorf("a draft changed the ticket: %+v", tk)
	}
	a.draft = ""
	h.Private()
	if out := strings.Join(h.Say("/draft 1"), "\n"); !strings.Contains(out, "智能助手暂时无法起草") {
		t.Fatalf("failing draft: %q", out)
	}
}

// TestUnroutedTicketsAreRoutedByTick simulates a crash between storing a
// ticket and telling its department: Tick routes it after a grace period.
func TestUnroutedTicketsAreRoutedByTick(t *testing.T) {
	a := &assistant{classify: map[string]string{}}
	h := commandtest.New(t, commandtest.Options{Config: testConfig(t, nil), Features: features(a)})
	h.Group("组织部")
	h.As("王老师")
	h.Say("/bind 组织部")
	ctx := context.Background()
	now := h.Clock.Now()
	chat, err := h.DB.EnsureChat(ctx, "terminal", "第一党支部", bot.Group, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.DB.EnsureMember(ctx, "terminal", "张三", "张三")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := h.Engine.Units().ByName("组织部")
	err = h.DB.UpdateTickets(ctx, now, func(tx tickets.Tx) error {
		_, err := tx.InsertTicket(tickets.Ticket{FilerMemberID: m.ID, FilerName: "张三", ChatID: chat.ID, Text: "党费能否线上交",
			Category: "党务", Keyword: "党费", DepartmentID: org.ID, DecidedBy: tickets.DecidedByKeywords, State: tickets.StateOpen,
			CreatedAt: now, FirstDueAt: now.Add(48 * time.Hour), DueAt: now.Add(48 * time.Hour), RemindAt: now.Add(24 * time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Restart()
	if out := h.Tick(); len(out) != 0 {
		t.Fatalf("routed before the grace period: %q", out)
	}
	h.Clock.Advance(2 * time.Minute)
	out := strings.Join(h.Tick(), "\n")
	if !strings.Contains(out, "[组织部] branchbot: 新建议 #1 · 党务（关键词「党费」）") {
		t.Fatalf("tick did not route the ticket: %q", out)
	}
	if out := h.Tick(); len(out) != 0 {
		t.Fatalf("routed twice: %q", out)
	}
}

func TestReportXLSX(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Config: testConfig(t, nil), Features: features(nil)})
	h.Group("组织部")
	h.As("王老师")
	h.Say("/bind 组织部")
	h.Group("第一党支部")
	h.As("李四")
	h.LinkSpeaker("2023002")
	h.Say("/suggest -a 党费账目公开")
	h.Say("/suggest 党课时间调整")
	h.Say("/suggest 宿舍网络差")
	h.Group("组织部")
	h.As("刘芳")
	h.LinkSpeaker("T0003")
	h.Clock.Advance(90 * time.Minute)
	h.Say("/answer 1 已公开。")
	h.Clock.Set(at(t, "2026-11-26 10:00"))
	// A close without any answer needs a reason and is no first response.
	if out := strings.Join(h.Say("/close 2"), "\n"); !strings.Contains(out, "未答复就关闭须写明理由") {
		t.Fatalf("close without a reason: %s", out)
	}
	h.Say("/close 2 已在支部大会上当面说明")

	cal := newCalendar(t)
	from, to, err := cal.ParseMonth("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tickets.BuildReport(context.Background(), h.DB, cal, h.Engine.Units(), from, to, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sum, err := x.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"部门", "提交数", "按时答复", "逾期", "其中逾期未答复", "未答复关闭", "未到期待答复", "按时率", "首次响应中位数（工作小时）"},
		{"组织部", "2", "1", "0", "0", "1", "0", "50%", "1.5"},
		{"学生工作部", "1", "0", "1", "1", "0", "0", "0%"},
		{"合计", "3", "1", "1", "1", "1", "0", "33%", "1.5"},
	}
	if got, w := strings.Join(flatten(sum), "|"), strings.Join(flatten(want), "|"); got != w {
		t.Errorf("summary sheet:\n got %s\nwant %s", got, w)
	}
	detail, err := x.GetRows("明细")
	if err != nil {
		t.Fatal(err)
	}
	if len(detail) != 4 || detail[0][4] != "提交人" || detail[1][4] != "匿名" || detail[2][4] != "李四" {
		t.Fatalf("detail sheet: %q", detail)
	}
	if detail[1][9] != "是" || detail[2][9] != "否（未答复关闭）" || detail[3][9] != "否（未答复）" || detail[2][8] != "已关闭（未答复）" {
		t.Errorf("on-time column: %q %q %q, state %q", detail[1][9], detail[2][9], detail[3][9], detail[2][8])
	}
	for _, row := range detail[1] {
		if strings.Contains(row, "李四") || strings.Contains(row, "第一党支部") {
			t.Errorf("anonymous ticket's row names the filer: %q", detail[1])
		}
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}
