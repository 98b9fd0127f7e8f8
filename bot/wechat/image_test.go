package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/wechat/wechattest"
)

// TestPictureFetchedAfterRestart: a picture is known by its MsgId alone, so
// a new process (logged in hot from the session file) still fetches it
// from webwxgetmsgimg; before any login the answer is ErrNotConnected, and
// a picture larger than asked for is ErrTooLarge.
func TestPictureFetchedAfterRestart(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	r := start(t, srv, dir, rigOptions{})
	if _, err := r.p.FetchImage(ctx, "1001", 1<<20); !errors.Is(err, bot.ErrNotConnected) {
		t.Errorf("FetchImage before login: %v, want ErrNotConnected", err)
	}
	r.scan()
	pic := bytes.Repeat([]byte("图片"), 5000)
	id, err := srv.SayPicture(groupName, "张三", pic)
	if err != nil {
		t.Fatal(err)
	}
	// Handled (stored in the inbox) before the restart: nothing here wants it.
	if !wechattest.WaitFor(5*time.Second, func() bool { return srv.Unconfirmed() == 0 }) {
		t.Fatal("the picture message was not taken")
	}
	r.stop()

	r = start(t, srv, dir, rigOptions{})
	r.waitConnected()
	got, err := r.p.FetchImage(ctx, id, int64(len(pic)))
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("FetchImage after a restart: %d bytes, %v; want the %d bytes sent", len(got), err, len(pic))
	}
	if _, err := r.p.FetchImage(ctx, id, int64(len(pic)-1)); !errors.Is(err, bot.ErrTooLarge) {
		t.Errorf("FetchImage with room for one byte less: %v, want ErrTooLarge", err)
	}
	if _, err := r.p.FetchImage(ctx, "999999", 1<<20); err == nil {
		t.Error("FetchImage of a message that has no picture succeeded")
	}
}
