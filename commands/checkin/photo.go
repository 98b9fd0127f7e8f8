package checkin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/privfile"
)

// Photos in the minutes (会议照片), on platforms that hand pictures to the
// bot (Capabilities.Images), two ways:
//
//   - With a caption (Capabilities.ImageCaptions): a secretary sends a
//     picture captioned "/会议记录 #N"; text after the number is kept as a
//     piece of the minutes too.
//   - Asked for first (any platform with pictures; the only way where a
//     picture is a message of its own, without words): the secretary says
//     "/会议照片 #N" (or "/会议记录 #N 照片"); the bot then takes the
//     pictures the same member sends in the same chat for photoWindow,
//     counted again from each picture taken, each acknowledged, until
//     「完成」 or the time runs out. The wait is a row in the store, so it
//     survives a restart; pictures from anybody else, elsewhere or later
//     are not the bot's business and get no answer.
//
// A picture is fetched at most maxPhoto bytes, must be a JPEG, PNG, GIF or
// WebP by its content (not by any name), and is kept in the photo folder as
// s<session>-<time>.<ext>, a name the bot makes; a row links it to the
// session. The 台账 lists the photos by file name.

// maxPhoto is the largest photo taken.
const maxPhoto = 10 << 20

// photoWindow is how long the bot takes pictures after "/会议照片" and after
// each picture it took.
const photoWindow = 10 * time.Minute

// photoExt are the picture types taken, by sniffed content type.
var photoExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// photoWords, written after "/会议记录 #N", ask for photos; doneWords end
// the wait (alone in a message, or after "/会议照片").
var (
	photoWords = map[string]bool{"照片": true, "图片": true, "会议照片": true}
	doneWords  = map[string]bool{"完成": true, "完成了": true, "完成啦": true, "发完": true, "发完了": true, "发完啦": true, "好了": true, "结束": true, "结束了": true}
)

// WithPhotoDir sets the folder photos of minutes are kept in (without it,
// photos are refused), and returns f.
func (f *Feature) WithPhotoDir(dir string) *Feature {
	f.photoDir = dir
	return f
}

// photoHint tells, after a usage line, how photos are added here.
func photoHint(c bot.Capabilities) string {
	switch {
	case c.Images && c.ImageCaptions:
		return "\n会议照片：发送图片，配文写「/会议记录 #编号」；或先发「/会议照片 #编号」，再连发多张图片。"
	case c.Images:
		return "\n会议照片：先发「/会议照片 #编号」，再在 10 分钟内发送图片（可连发多张），发完回复「完成」。"
	}
	return "\n本平台不能把图片交给机器人，会议照片无法在这里添加。"
}

func (f *Feature) photoSpec() bot.CommandSpec {
	return bot.CommandSpec{
		Name: "photo", Aliases: []string{"照片"}, Flat: []string{"checkin_photo", "会议照片"},
		Summary: "为签到（会议）添加会议照片（书记）",
		Usage:   "/checkin photo [#签到编号] [完成]",
		Help: "例：/会议照片 #3，然后在 10 分钟内发送图片（可连发多张，每收一张再等 10 分钟），发完回复「完成」。\n" +
			"只收你本人在本群发的图片；照片保存到 branchbot report meetings 的台账。不写编号时是本群最近的一次签到。\n" +
			"能给图片配文的平台也可以直接发送图片，配文写「/会议记录 #3」。",
		Where:   bot.GroupOnly,
		Role:    bot.RoleSecretary,
		Handler: f.photo,
	}
}

// photo is "/会议照片 [#N] [完成]": start (or end) the caller's wait for
// photos in this chat.
func (f *Feature) photo(ctx context.Context, r *bot.Request) error {
	if args := r.Command.Args; len(args) == 1 && doneWords[args[0]] {
		return f.endPhotos(ctx, r, true)
	}
	s, rest, err := f.sessionArg(ctx, r)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return bot.Errorf("用法：%s\n文字记录请用「/会议记录 #%d 内容」。", r.Spec.Usage, s.Seq)
	}
	return f.waitForPhotos(ctx, r, s)
}

// photosUnavailable says why photos cannot be added here, or "".
func (f *Feature) photosUnavailable(c bot.Capabilities) string {
	if !c.Images {
		return "本平台不能把图片交给机器人，会议照片无法在这里添加。"
	}
	if f.photoDir == "" {
		return "本机器人没有配置保存照片的目录，无法保存会议照片。"
	}
	return ""
}

// waitForPhotos starts the caller's wait for photos of s in this chat.
func (f *Feature) waitForPhotos(ctx context.Context, r *bot.Request, s Session) error {
	if no := f.photosUnavailable(r.Capabilities()); no != "" {
		return bot.Errorf("%s", no)
	}
	now := r.Now()
	w := PhotoWait{ChatID: r.Chat.ID, MemberID: r.Caller.Member.ID, SessionID: s.ID, Expires: now.Add(photoWindow)}
	err := f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		if err := tx.WaitForPhotos(w); err != nil {
			return err
		}
		text := fmt.Sprintf("请在 %d 分钟内发送签到 #%d「%s」的会议照片（可连发多张），发完回复「完成」。只收 %s 本人在本群发的图片。",
			int(photoWindow/time.Minute), s.Seq, s.Title, r.Caller.Name())
		_, _, err := tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text})
		return err
	})
	if err != nil {
		return fmt.Errorf("wait for photos of session %d: %w", s.ID, err)
	}
	return nil
}

// endPhotos ends the caller's wait for photos in this chat and says how
// many were kept; asked says it was a command (answered even when there
// is no wait), not a bare 「完成」.
func (f *Feature) endPhotos(ctx context.Context, r *bot.Request, asked bool) error {
	now := r.Now()
	err := f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		w, err := tx.EndPhotoWait(r.Chat.ID, r.Caller.Member.ID, now)
		if errors.Is(err, bot.ErrNotFound) {
			if !asked {
				return nil
			}
			_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: "你现在没有在发送会议照片。"})
			return err
		}
		if err != nil {
			return err
		}
		s, err := tx.CheckinSession(w.SessionID)
		if err != nil {
			return err
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: fmt.Sprintf("会议照片已收完：本次为签到 #%d「%s」保存 %d 张。", s.Seq, s.Title, w.Taken)})
		return err
	})
	if err != nil {
		return fmt.Errorf("end photo wait in chat %d: %w", r.Chat.ID, err)
	}
	return nil
}

// observeDone takes a bare 「完成」 from a member who is sending photos
// here as the end of it; from anybody else it is ordinary speech.
func (f *Feature) observeDone(ctx context.Context, r *bot.Request) (bool, error) {
	text := strings.TrimRightFunc(strings.TrimSpace(r.Message.Text), decoration)
	if !doneWords[text] || f.photoDir == "" {
		return false, nil
	}
	if _, err := f.store.PhotoWait(ctx, r.Chat.ID, r.Caller.Member.ID, r.Now()); err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, f.endPhotos(ctx, r, false)
}

// ObserveImage implements bot.ImageObserver: a picture from a member who
// asked to send photos here, within the wait, goes to the session's
// minutes; any other picture is none of the bot's business.
func (f *Feature) ObserveImage(ctx context.Context, r *bot.Request) error {
	if f.photosUnavailable(r.Capabilities()) != "" {
		return nil
	}
	now := r.Now()
	w, err := f.store.PhotoWait(ctx, r.Chat.ID, r.Caller.Member.ID, now)
	if errors.Is(err, bot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s, err := f.store.CheckinSession(ctx, w.SessionID)
	if err != nil {
		return fmt.Errorf("session %d of a photo wait: %w", w.SessionID, err)
	}
	return f.keepPhoto(ctx, r, s, func(tx Tx, p Photo, total int) (string, error) {
		w, err := tx.TookWaitedPhoto(r.Chat.ID, r.Caller.Member.ID, now.Add(photoWindow))
		if err != nil {
			return "", err
		}
		text := fmt.Sprintf("已保存第 %d 张照片到签到 #%d「%s」（%s）", w.Taken, s.Seq, s.Title, bot.HumanSize(p.Bytes))
		if total != w.Taken {
			text += fmt.Sprintf("，该会议共 %d 张", total)
		}
		return text + "。", nil
	})
}

// notePhoto keeps the picture of a "/会议记录 #N" message, its caption as
// a piece of the minutes.
func (f *Feature) notePhoto(ctx context.Context, r *bot.Request, s Session, caption string) error {
	if f.photoDir == "" {
		return bot.Errorf("本机器人没有配置保存照片的目录，无法保存会议照片。")
	}
	if len([]rune(caption)) > maxNote {
		return bot.Errorf("会议记录太长（一次最多 %d 字，可分几次添加）。", maxNote)
	}
	return f.keepPhoto(ctx, r, s, func(tx Tx, p Photo, n int) (string, error) {
		text := fmt.Sprintf("已为签到 #%d「%s」添加会议照片（第 %d 张，%s，记录人 %s）。", s.Seq, s.Title, n, bot.HumanSize(p.Bytes), p.AuthorName)
		if caption != "" {
			if err := tx.AddNote(Note{SessionID: s.ID, Text: caption, MemberID: p.MemberID, AuthorName: p.AuthorName, At: p.At}); err != nil {
				return "", err
			}
			text += fmt.Sprintf("配文已作为会议记录保存（%d 字）。", len([]rune(caption)))
		}
		return text, nil
	})
}

// keepPhoto fetches the picture of r, checks it, keeps it in the photo
// folder and records it with session s; in the same transaction, answer
// (given the photo and how many the session has now) does what else goes
// with it and words the acknowledgement.
func (f *Feature) keepPhoto(ctx context.Context, r *bot.Request, s Session, answer func(tx Tx, p Photo, total int) (string, error)) error {
	data, err := f.engine.FetchImage(ctx, r.Chat.Platform, r.Message.Image, maxPhoto)
	if errors.Is(err, bot.ErrTooLarge) {
		return bot.Errorf("照片太大（最大 %d MB），请压缩后再发。", maxPhoto>>20)
	}
	if err != nil {
		// The platform's trouble, not the sender's: logged for the admin,
		// and the sender can try again.
		f.engine.Logger().Warn("fetch photo", "session", s.ID, "platform", r.Chat.Platform, "err", err)
		return bot.Errorf("没能从聊天平台取到这张照片，请稍后重新发送。")
	}
	ext, ok := photoExt[http.DetectContentType(data)]
	if !ok {
		return bot.Errorf("收到的文件不是图片（支持 JPG、PNG、GIF、WebP）。")
	}
	now := r.Now()
	name, err := f.writePhoto(s, now, ext, data)
	if err != nil {
		return err
	}
	path := filepath.Join(f.photoDir, name)
	p := Photo{SessionID: s.ID, File: name, Bytes: int64(len(data)), MemberID: r.Caller.Member.ID, AuthorName: r.Caller.Name(), At: now}
	err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		n, err := tx.AddPhoto(p)
		if err != nil {
			return err
		}
		text, err := answer(tx, p, n)
		if err != nil {
			return err
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

// writePhoto keeps data in the photo folder under a new name,
// s<session>-<time>[-k].<ext>, and returns the name: two photos of the
// same moment get two files.
func (f *Feature) writePhoto(s Session, now time.Time, ext string, data []byte) (string, error) {
	if err := privfile.MkdirAll(f.photoDir); err != nil {
		return "", err
	}
	base := "s" + strconv.FormatInt(s.ID, 10) + "-" + strconv.FormatInt(now.UnixNano(), 10)
	for k := 1; ; k++ {
		name := base + ext
		if k > 1 {
			name = base + "-" + strconv.Itoa(k) + ext
		}
		file, err := os.OpenFile(filepath.Join(f.photoDir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, privfile.FileMode)
		if errors.Is(err, os.ErrExist) && k < 100 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("save photo of session %d: %w", s.ID, err)
		}
		_, err = file.Write(data)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(file.Name())
			return "", fmt.Errorf("save photo of session %d: %w", s.ID, err)
		}
		return name, nil
	}
}
