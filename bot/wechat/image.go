package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/branchbot/branchbot/bot"
)

// fetchTimeout bounds one picture download.
const fetchTimeout = 60 * time.Second

// FetchImage implements bot.ImageFetcher: id is a picture message's MsgId
// (Message.Image), fetched from webwxgetmsgimg with the live session's
// skey and cookies, at most max bytes. Only the id is kept, not the
// library's message, so a picture can be fetched after its message is gone
// from memory and after a restart, as long as the account is logged in;
// while it is not, the answer is bot.ErrNotConnected. The download runs on
// the actor, as every call into the library does.
func (p *Platform) FetchImage(ctx context.Context, id string, max int64) ([]byte, error) {
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	if s == nil {
		return nil, bot.ErrNotConnected
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	var data []byte
	err := p.do(ctx, s, func(s *session) error {
		b := s.bot
		resp, err := b.Caller.Client.WebWxGetMsgImg(ctx, &openwechat.Message{MsgId: id}, b.Storage.LoginInfo)
		if err != nil {
			return withoutURL(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		data, err = bot.ReadAtMost(resp.Body, max)
		return withoutURL(err)
	})
	if err != nil {
		return nil, fmt.Errorf("wechat picture %s: %w", id, err)
	}
	return data, nil
}

// withoutURL drops the request address from a transport error: it holds
// the session's skey.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("webwxgetmsgimg: %w", ue.Err)
	}
	return err
}
