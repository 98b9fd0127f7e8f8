package terminal_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/platformtest"
	"github.com/branchbot/branchbot/bot/terminal"
)

func TestPlatformSuite(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newHarness(t) })
}

// harness runs the terminal over pipes for the suite: lines are written to
// its input, and what it prints is read back and parsed into messages.
type harness struct {
	mu    sync.Mutex
	in    *io.PipeWriter // the current run's input
	out   map[platformtest.Chat][]platformtest.Message
	tries map[platformtest.Chat]int
	gates map[platformtest.Chat]*platformtest.Gate
	next  int
}

func newHarness(t *testing.T) *harness {
	h := &harness{
		out:   map[platformtest.Chat][]platformtest.Message{},
		tries: map[platformtest.Chat]int{},
		gates: map[platformtest.Chat]*platformtest.Gate{},
	}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.in != nil {
			h.in.Close()
		}
	})
	return h
}

// Start gives the new terminal a fresh input pipe; the last run's input is
// closed, as a process's stdin would be when it exits.
func (h *harness) Start(t *testing.T, b platformtest.Bot) bot.Platform {
	r, w := io.Pipe()
	h.mu.Lock()
	if h.in != nil {
		h.in.Close()
	}
	h.in = w
	h.mu.Unlock()
	return terminal.New(r, output{h}, terminal.Options{})
}

func (h *harness) Ready(t *testing.T) {}

func (h *harness) ChatID(c platformtest.Chat) string {
	if c.Kind == bot.Private {
		return "private:" + c.Name
	}
	return c.Name
}

// lines writes lines to the terminal's input.
func (h *harness) lines(t *testing.T, lines ...string) {
	t.Helper()
	h.mu.Lock()
	w := h.in
	h.mu.Unlock()
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) Say(t *testing.T, c platformtest.Chat, member, text string) {
	if strings.Contains(text, "\n") {
		t.Skip("a terminal line is one message: there is no multi-line text")
	}
	if c.Kind == bot.Private {
		h.lines(t, ":as "+member, ":private", text)
		return
	}
	h.lines(t, ":group "+c.Name, ":as "+member, text)
}

// SayPicture implements platformtest.PictureSayer: the picture is a file
// on this machine, sent with ":image <path>".
func (h *harness) SayPicture(t *testing.T, c platformtest.Chat, member string, data []byte) {
	path := filepath.Join(t.TempDir(), "picture.png")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	where := ":group " + c.Name
	if c.Kind == bot.Private {
		where = ":private"
	}
	h.lines(t, ":as "+member, where, ":image "+path)
}

func (h *harness) SayToBot(t *testing.T, c platformtest.Chat, member, text string) {
	t.Skip("the terminal has no @mentions; a command names the bot as /cmd@branchbot")
}

func (h *harness) Received(t *testing.T, c platformtest.Chat) []platformtest.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]platformtest.Message(nil), h.out[c]...)
}

func (h *harness) Attempts(t *testing.T, c platformtest.Chat) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tries[c]
}

func (h *harness) Refuse(t *testing.T, c platformtest.Chat, accept, n int) platformtest.Refusal {
	t.Skip("a terminal never refuses a send")
	return platformtest.Refusal{}
}

func (h *harness) Remove(t *testing.T, c platformtest.Chat) {
	t.Skip("a terminal chat cannot go away")
}

// Hold blocks the terminal's next print to the chat; a failed release
// fails the write, as a closed pipe would.
func (h *harness) Hold(t *testing.T, c platformtest.Chat) platformtest.Hold {
	g := platformtest.NewGate(t)
	h.mu.Lock()
	h.gates[c] = g
	h.mu.Unlock()
	return g.Hold()
}

func (h *harness) Press(t *testing.T, c platformtest.Chat, member string, m platformtest.Message, label string) {
	t.Fatal("the terminal has no buttons")
}

func (h *harness) Answers(t *testing.T) []platformtest.Answer { return nil }

// output is the terminal's standard output. The terminal prints each
// message with one Write: "[第一党支部群] branchbot: @张三 text", then a
// line "  按钮: [a] [b]" per row of buttons, and for a file the lines
// "  文件: name（size）" and "  位置: path".
type output struct{ h *harness }

func (o output) Write(b []byte) (int, error) {
	h := o.h
	text := strings.TrimSuffix(string(b), "\n")
	head, body, ok := strings.Cut(text, "] branchbot: ")
	if !ok || !strings.HasPrefix(head, "[") {
		return len(b), nil // a notice of the terminal's own
	}
	c := platformtest.Group(strings.TrimPrefix(head, "["))
	if name, ok := strings.CutPrefix(c.Name, "私聊 "); ok {
		c = platformtest.Private(name)
	}
	h.mu.Lock()
	h.tries[c]++
	g := h.gates[c]
	h.mu.Unlock()
	if g != nil && !g.Pass() {
		return 0, errors.New("write |1: broken pipe")
	}
	m := platformtest.Message{At: time.Now()}
	lines := strings.Split(body, "\n")
	if n := len(lines); n > 2 && strings.HasPrefix(lines[n-2], "  文件: ") {
		path, ok := strings.CutPrefix(lines[n-1], "  位置: ")
		if !ok {
			return 0, fmt.Errorf("a file without its place: %q", body)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, err
		}
		m.File = &platformtest.File{Name: filepath.Base(path), Data: data}
		lines = lines[:n-2]
	}
	for len(lines) > 1 {
		row, ok := strings.CutPrefix(lines[len(lines)-1], "  按钮: ")
		if !ok {
			break
		}
		m.Buttons = append([][]string{strings.Fields(strings.NewReplacer("[", "", "]", "").Replace(row))}, m.Buttons...)
		lines = lines[:len(lines)-1]
	}
	m.Text = strings.Join(lines, "\n")
	for _, name := range platformtest.Members {
		if rest, ok := strings.CutPrefix(m.Text, "@"+name+" "); ok {
			m.Mention, m.Text = name, rest
		}
	}
	// A terminal names members as text: "@姓名" in order.
	for rest := m.Text; ; {
		i := strings.Index(rest, "@")
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		for _, name := range platformtest.Members {
			if strings.HasPrefix(rest, name+" ") {
				m.Mentions = append(m.Mentions, name)
			}
		}
	}
	h.mu.Lock()
	h.next++
	m.ID = strconv.Itoa(h.next)
	h.out[c] = append(h.out[c], m)
	h.mu.Unlock()
	return len(b), nil
}

func (h *harness) Unconfirmed(t *testing.T) int {
	t.Skip("a terminal hands each line it reads to the engine at once and keeps nothing to hand over again: a line read is a line handled")
	return 0
}

func (h *harness) Kill(t *testing.T) {
	t.Skip("a terminal keeps nothing to hand over again")
}
