package checkin

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
)

// Minutes (会议记录): a secretary attaches text to a session, during or
// after it; the pieces are kept in order with who wrote them and go into
// the 三会一课 台账.

const maxNote = 2000

func (f *Feature) noteSpec() bot.CommandSpec {
	return bot.CommandSpec{
		Name: "note", Aliases: []string{"记录"}, Flat: []string{"checkin_note", "会议记录"},
		Summary: "为签到（会议）添加会议记录（书记）",
		Usage:   "/checkin note [#签到编号] <内容>",
		Help: "例：/会议记录 #3 传达学习了……，讨论了……\n可多次添加，按顺序保存并注明记录人，写入 branchbot report meetings 的台账。不写编号时是本群最近的一次签到。\n" +
			"会议照片：先发「/会议照片 #3」（或「/会议记录 #3 照片」），再发送图片，可连发多张，发完回复「完成」；能给图片配文的平台也可以直接发送图片，配文写「/会议记录 #3」（可再加文字说明）。照片保存到台账。",
		Role:    bot.RoleSecretary,
		Handler: f.note,
	}
}

func (f *Feature) note(ctx context.Context, r *bot.Request) error {
	s, rest, err := f.sessionArg(ctx, r)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(strings.Join(rest, " "))
	if r.Message.Image != "" {
		return f.notePhoto(ctx, r, s, text)
	}
	if photoWords[text] {
		return f.waitForPhotos(ctx, r, s)
	}
	switch {
	case text == "":
		return bot.Errorf("用法：%s%s", r.Spec.Usage, photoHint(r.Capabilities()))
	case utf8.RuneCountInString(text) > maxNote:
		return bot.Errorf("会议记录太长（一次最多 %d 字，可分几次添加）。", maxNote)
	}
	now := r.Now()
	n := Note{SessionID: s.ID, Text: text, MemberID: r.Caller.Member.ID, AuthorName: r.Caller.Name(), At: now}
	err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		if err := tx.AddNote(n); err != nil {
			return err
		}
		_, _, err := tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: fmt.Sprintf("已为签到 #%d「%s」添加会议记录（%d 字，记录人 %s）。", s.Seq, s.Title, utf8.RuneCountInString(text), n.AuthorName)})
		return err
	})
	if err != nil {
		return fmt.Errorf("minutes of session %d: %w", s.ID, err)
	}
	return nil
}
