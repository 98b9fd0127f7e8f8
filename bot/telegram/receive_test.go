package telegram_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// poison are updates go-telegram/bot cannot decode: a forward from an origin
// type newer than the library, a membership status it does not know, and a
// message_id sent as a string. Decoding getUpdates' whole answer at once,
// each made every later poll fail.
var poison = []string{
	`{"message":{"message_id":7,"date":1,"chat":{"id":-520,"type":"group","title":"群"},"from":{"id":2002,"is_bot":false,"first_name":"张"},"text":"转发","forward_origin":{"type":"story","date":1}}}`,
	`{"my_chat_member":{"chat":{"id":-520,"type":"group","title":"群"},"from":{"id":2002,"is_bot":false,"first_name":"张"},"date":1,"old_chat_member":{"status":"member","user":{"id":123456,"is_bot":true,"first_name":"b"}},"new_chat_member":{"status":"ghost","user":{"id":123456,"is_bot":true,"first_name":"b"}}}}`,
	`{"message":{"message_id":"8","date":1,"chat":{"id":-520,"type":"group","title":"群"},"from":{"id":2002,"is_bot":false,"first_name":"张"},"text":"/ping 坏"}}`,
}

// pushPoison pushes the poison updates between two good ones and checks
// that both good ones are answered and each poison update is logged with
// its id.
func pushPoison(t *testing.T, e *env, logs *commandtest.SyncBuffer) {
	t.Helper()
	g := telegramtest.Group(-520, "群")
	e.srv.Say(g, member, "/ping 之前")
	var ids []int64
	for _, p := range poison {
		ids = append(ids, e.srv.PushRaw(p))
	}
	e.srv.Say(g, member, "/ping 之后")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "pong 之前"))
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "pong 之后"))
	for _, id := range ids {
		if want := fmt.Sprintf("update=%d", id); !strings.Contains(logs.String(), want) {
			t.Errorf("no log line with %s:\n%s", want, logs.String())
		}
	}
	if n := count(e.srv.Calls("sendMessage"), sendTo(g.ID, "pong 坏")); n != 0 {
		t.Errorf("the undecodable message was answered %d times", n)
	}
}

func TestUndecodableUpdatesAreSkippedWhenPolling(t *testing.T) {
	logs := &commandtest.SyncBuffer{}
	e := start(t, envOptions{logs: logs})
	pushPoison(t, e, logs)
	// Confirmed with the rest: a restart does not meet them again.
	e.srv.Say(telegramtest.Group(-520, "群"), member, "/ping 确认")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(-520, "pong 确认"))
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Pending(); n != 0 {
		t.Errorf("%d updates left unconfirmed", n)
	}
}

func TestUndecodableUpdatesAreSkippedOnTheWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &commandtest.SyncBuffer{}
	e := start(t, envOptions{logs: logs, webhook: telegram.Webhook{URL: "http://" + ln.Addr().String() + "/hook", Secret: "s", Listener: ln}})
	e.srv.WaitCall(t, "setWebhook", wait, nil)
	pushPoison(t, e, logs)
}
