// Package terminal is a chat platform on standard input and output, for
// trying the bot without any credentials. Each line is a chat message from
// the current speaker in the current chat; lines starting with ":" switch
// them:
//
//	:group 第一党支部   speak in a group chat (created on first use)
//	:as 张三           speak as another member
//	:private          speak in the speaker's private chat with the bot
//	:image <文件>      send a picture: the file at that path on this machine,
//	                  as a message of its own without words (as on WeChat)
//	:who              show the current chat and speaker
//
// Replies are printed as "[第一党支部] branchbot: …". When the input ends
// (a pipe), Run returns and the engine delivers what is queued, then exits.
package terminal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Name is the platform's name in config and storage.
const Name = "terminal"

// Platform is the terminal chat.
type Platform struct {
	in      io.Reader
	out     io.Writer
	botName string
	prompt  bool

	mu      sync.Mutex // guards out and nextID
	nextID  int
	group   string
	speaker string
	private bool
}

// Options configure the terminal.
type Options struct {
	BotName string // default branchbot
	Group   string // the first group, default 第一党支部
	Speaker string // the first speaker, default 访客
	Prompt  bool   // print a prompt before each line (interactive use)
}

// New makes a terminal platform reading in and writing out.
func New(in io.Reader, out io.Writer, o Options) *Platform {
	if o.BotName == "" {
		o.BotName = "branchbot"
	}
	if o.Group == "" {
		o.Group = "第一党支部"
	}
	if o.Speaker == "" {
		o.Speaker = "访客"
	}
	return &Platform{in: in, out: out, botName: o.BotName, prompt: o.Prompt, group: o.Group, speaker: o.Speaker}
}

func (p *Platform) Name() string { return Name }

func (p *Platform) Capabilities() bot.Capabilities {
	// Files: the terminal runs on the bot's own machine, so a file "sent"
	// into it is shown with where it lies. Images: ":image <path>" sends a
	// picture, without words, as WeChat does.
	return bot.Capabilities{Mentions: true, Private: true, Files: true, Images: true}
}

// FetchImage implements bot.ImageFetcher: id is the path given to
// ":image", read at most max bytes.
func (p *Platform) FetchImage(ctx context.Context, id string, max int64) ([]byte, error) {
	f, err := os.Open(id)
	if err != nil {
		return nil, fmt.Errorf("terminal picture: %w", err)
	}
	defer f.Close()
	data, err := bot.ReadAtMost(f, max)
	if err != nil {
		return nil, fmt.Errorf("terminal picture %s: %w", id, err)
	}
	return data, nil
}

// BotUsername implements bot.Identified: /help@branchbot is ours.
func (p *Platform) BotUsername() string { return p.botName }

// Run implements bot.Platform.
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(p.in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
		close(lines)
	}()
	p.printPrompt()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if err := <-errc; err != nil {
					return fmt.Errorf("read input: %w", err)
				}
				return nil
			}
			p.handle(ctx, r, line)
			p.printPrompt()
		}
	}
}

func (p *Platform) printPrompt() {
	if !p.prompt {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writePrompt()
}

func (p *Platform) writePrompt() { fmt.Fprintf(p.out, "[%s] %s> ", p.label(), p.speaker) }

func (p *Platform) label() string {
	if p.private {
		return "私聊 " + p.speaker
	}
	return p.group
}

func (p *Platform) handle(ctx context.Context, r bot.Receiver, line string) {
	line = strings.TrimRight(line, "\r")
	if rest, ok := strings.CutPrefix(line, ":"); ok {
		cmd, arg, _ := strings.Cut(rest, " ")
		if m, ok := p.directive(cmd, strings.TrimSpace(arg)); ok {
			r.Receive(ctx, m)
		}
		return
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	p.mu.Lock()
	m := p.messageLocked(line)
	p.mu.Unlock()
	r.Receive(ctx, m)
}

// directive runs a ":" line; ok says it makes a message to hand over (a
// picture).
func (p *Platform) directive(cmd, arg string) (m bot.Message, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch cmd {
	case "group":
		if arg == "" {
			fmt.Fprintln(p.out, "用法：:group <群名>")
			break
		}
		p.group, p.private = arg, false
	case "as":
		if arg == "" {
			fmt.Fprintln(p.out, "用法：:as <姓名>")
			break
		}
		p.speaker = arg
	case "private":
		p.private = true
	case "image":
		if arg == "" {
			fmt.Fprintln(p.out, "用法：:image <图片文件路径>")
			break
		}
		m = p.messageLocked("")
		m.Image = arg
		return m, true
	case "who":
		fmt.Fprintf(p.out, "当前：%s，发言人：%s\n", p.label(), p.speaker)
	default:
		fmt.Fprintln(p.out, "终端命令：:group <群名>  :as <姓名>  :private  :image <图片文件>  :who")
	}
	return m, false
}

// messageLocked is text from the current speaker in the current chat; p.mu
// is held.
func (p *Platform) messageLocked(text string) bot.Message {
	m := bot.Message{
		Platform: Name, ChatKind: bot.Group, ChatID: p.group, ChatTitle: p.group,
		SenderID: p.speaker, SenderName: p.speaker, Text: text, Time: time.Now(),
	}
	if p.private {
		m.ChatKind, m.ChatID, m.ChatTitle = bot.Private, "private:"+p.speaker, p.speaker
	}
	return m
}

// Send implements bot.Platform: it prints the message.
func (p *Platform) Send(ctx context.Context, m bot.Outbound) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	label := m.ChatID
	if rest, ok := strings.CutPrefix(label, "private:"); ok {
		label = "私聊 " + rest
	}
	text := bot.Render(label, p.botName, m, false)
	if m.File != "" {
		if _, err := os.Stat(m.File); err != nil {
			return "", &bot.PermanentError{Err: fmt.Errorf("file to send: %w", err)}
		}
		text += "\n  位置: " + m.File
	}
	if p.prompt {
		// Replies arrive after the prompt was printed: clear the prompt
		// line, print the reply, and print the prompt again.
		text = "\r\033[K" + text
	}
	if _, err := fmt.Fprintln(p.out, text); err != nil {
		return "", fmt.Errorf("print: %w", err)
	}
	if p.prompt {
		p.writePrompt()
	}
	p.nextID++
	return strconv.Itoa(p.nextID), nil
}
