package checkin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/privfile"
)

// Photos in the minutes (会议照片): a secretary sends a picture captioned
// "/会议记录 #N" (text after the number is kept as a piece of the minutes
// too) on a platform that hands pictures to the bot (Capabilities.Images).
// The picture is fetched at most maxPhoto bytes, must be a JPEG, PNG, GIF or
// WebP by its content (not by any name), and is kept in the photo folder as
// s<session>-<time>.<ext>, a name the bot makes; a row links it to the
// session. The 台账 lists the photos by file name.

// maxPhoto is the largest photo taken.
const maxPhoto = 10 << 20

// photoExt are the picture types taken, by sniffed content type.
var photoExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// WithPhotoDir sets the folder photos of minutes are kept in (without it,
// photos are refused), and returns f.
func (f *Feature) WithPhotoDir(dir string) *Feature {
	f.photoDir = dir
	return f
}

// photoHint tells, after a usage line, how photos are added here.
func photoHint(c bot.Capabilities) string {
	if c.Images {
		return "\n会议照片：发送图片，配文写「/会议记录 #编号」。"
	}
	return "\n本平台不能把图片交给机器人，会议照片无法在这里添加。"
}

func (f *Feature) notePhoto(ctx context.Context, r *bot.Request, s Session, caption string) error {
	if f.photoDir == "" {
		return bot.Errorf("本机器人没有配置保存照片的目录，无法保存会议照片。")
	}
	if len([]rune(caption)) > maxNote {
		return bot.Errorf("会议记录太长（一次最多 %d 字，可分几次添加）。", maxNote)
	}
	data, err := f.engine.FetchImage(ctx, r.Chat.Platform, r.Message.Image, maxPhoto)
	if errors.Is(err, bot.ErrTooLarge) {
		return bot.Errorf("照片太大（最大 %d MB），请压缩后再发。", maxPhoto>>20)
	}
	if err != nil {
		return fmt.Errorf("fetch photo for session %d: %w", s.ID, err)
	}
	ext, ok := photoExt[http.DetectContentType(data)]
	if !ok {
		return bot.Errorf("收到的文件不是图片（支持 JPG、PNG、GIF、WebP）。")
	}
	now := r.Now()
	name := "s" + strconv.FormatInt(s.ID, 10) + "-" + strconv.FormatInt(now.UnixNano(), 10) + ext
	if err := privfile.MkdirAll(f.photoDir); err != nil {
		return err
	}
	path := filepath.Join(f.photoDir, name)
	if err := os.WriteFile(path, data, privfile.FileMode); err != nil {
		return fmt.Errorf("save photo of session %d: %w", s.ID, err)
	}
	p := Photo{SessionID: s.ID, File: name, Bytes: int64(len(data)), MemberID: r.Caller.Member.ID, AuthorName: r.Caller.Name(), At: now}
	err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		n, err := tx.AddPhoto(p)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("已为签到 #%d「%s」添加会议照片（第 %d 张，%s，记录人 %s）。", s.Seq, s.Title, n, bot.HumanSize(p.Bytes), p.AuthorName)
		if caption != "" {
			if err := tx.AddNote(Note{SessionID: s.ID, Text: caption, MemberID: p.MemberID, AuthorName: p.AuthorName, At: now}); err != nil {
				return err
			}
			text += fmt.Sprintf("配文已作为会议记录保存（%d 字）。", len([]rune(caption)))
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text})
		return err
	})
	if err != nil {
		os.Remove(path) // not recorded: no orphan file
		return fmt.Errorf("photo of session %d: %w", s.ID, err)
	}
	return nil
}
