// Package exports writes the files that hold members' personal data
// (check-in and relay lists, study statistics, the SLA report) and hands
// them to whoever asked. Every such file is written by Save: its folder is
// made with mode 0700 and the file with 0600, through a temporary file
// renamed into place, so a reader never sees half a file and nobody else on
// the machine can read it. Deliver answers a chat command with the file: in
// the private chat it came from, where the platform takes files; in a group,
// never (the whole group would get everyone's 学号), with the command to
// send privately instead; where the platform takes no files, with where on
// the server an admin finds it.
package exports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/privfile"
)

// Modes of what Save writes.
const (
	DirMode  = privfile.DirMode  // 0700
	FileMode = privfile.FileMode // 0600
)

// Save writes the file at path with write: the folders up to it are made
// (DirMode), and the bytes go to a temporary file in the same folder
// (FileMode) that replaces path once write and the close succeed.
func Save(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return fmt.Errorf("create export folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(FileMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ErrFormat is wrapped by FormatOf's error for a name whose extension
// names none of the formats.
var ErrFormat = errors.New("unknown file format")

// FormatOf is the format a file name asks for by its extension, one of
// formats (e.g. "xlsx", "csv"; any case): out.CSV is "csv". Any other
// name is an error that says which extensions would do.
func FormatOf(path string, formats ...string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range formats {
		if ext == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s: %w: the name must end in .%s", path, ErrFormat, strings.Join(formats, " or ."))
}

// Deliver answers r with the export written at path. summary says what it
// is ("签到 #3「主题党日」的名单，共 41 行。"), and again is the command that
// asks for it in a private chat ("/export checkin 3").
//
// In a private chat on a platform that takes files, the file goes into the
// chat with summary as its caption, through the outbox. In a group it is not
// posted (the file holds every listed member's personal data): the answer
// says to send again privately. Where the platform takes no files (or has
// no private chats), the answer says where on the server the file lies, for
// an admin to fetch.
func Deliver(ctx context.Context, r *bot.Request, path, summary, again string) error {
	caps := r.Capabilities()
	onServer := "表格已保存在服务器上：" + path + "，请管理员从服务器取出。"
	switch {
	case caps.Files && r.Chat.Kind == bot.Private:
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("export %s: %w", path, err)
		}
		_, err = r.Send(ctx, bot.Outgoing{ChatID: r.Chat.ID, Text: summary, File: abs})
		return err
	case caps.Files && caps.Private:
		return r.Reply(ctx, summary+"\n名单含学号等个人信息，不在群里发送文件：请在与机器人的私聊中发送 "+again+"，文件会发到私聊里。")
	case caps.Files:
		return r.Reply(ctx, summary+"\n名单含学号等个人信息，不在群里发送文件。"+onServer)
	}
	return r.Reply(ctx, summary+"\n本平台不能发送文件，"+onServer)
}
