package qq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

// enqueue queues text for the branch group through the engine, as a
// feature does, and returns the outbox id.
func (r *rig) enqueue(text string) int64 {
	r.t.Helper()
	ctx := context.Background()
	c, err := r.db.EnsureChat(ctx, "qq", strconv.Itoa(branchQQ), bot.Group, "第一党支部群")
	if err != nil {
		r.t.Fatal(err)
	}
	id, err := r.eng.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: text})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *rig) attempts(text string) int {
	n := 0
	for _, s := range r.world.Sent() {
		if s.Group == branchQQ && s.Text() == text {
			n++
		}
	}
	return n
}

func (r *rig) outboxState(id int64) bot.OutboxState {
	m, err := r.db.OutboxMessage(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m.State
}

// TestDroppedSendCheckedAfterReconnect: a send pending when the bridge's
// connection drops is decided once the bridge is back, by the group's
// history: not there, it is sent again and arrives once; there, it is not
// sent again.
func TestDroppedSendCheckedAfterReconnect(t *testing.T) {
	for _, c := range []struct {
		fault        qqtest.Fault
		wantAttempts int
	}{{qqtest.DropBefore, 2}, {qqtest.DropAfter, 1}} {
		t.Run(fmt.Sprint(c.fault), func(t *testing.T) {
			r := newRig(t, rigOptions{})
			const text = "会议改到下午三点"
			dropped := false
			r.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
				if s.Text() == text && !dropped {
					dropped = true
					return c.fault
				}
				return qqtest.Deliver
			})
			id := r.enqueue(text)
			r.await(0, text, 0)
			if !waitFor(func() bool { return r.outboxState(id) == bot.OutboxDelivered }) {
				t.Fatalf("the message is %s, want delivered", r.outboxState(id))
			}
			if n := r.count(0, text); n != 1 {
				t.Errorf("it arrived %d times, want once", n)
			}
			if n := r.attempts(text); n != c.wantAttempts {
				t.Errorf("it was sent %d times, want %d", n, c.wantAttempts)
			}
			if r.bridge.Connections() < 2 {
				t.Errorf("the bridge connected %d times, want a reconnect", r.bridge.Connections())
			}
		})
	}
}

// TestDroppedSendWithoutHistoryIsUnknown: where the bridge cannot show the
// history, a send pending at a drop has an unknown outcome: recorded so,
// not sent again; the next message goes out after the reconnect.
func TestDroppedSendWithoutHistoryIsUnknown(t *testing.T) {
	r := newRig(t, rigOptions{bridge: qqtest.Options{NoHistory: true}})
	const text = "请各位带好党员证"
	dropped := false
	r.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
		if s.Text() == text && !dropped {
			dropped = true
			return qqtest.DropAfter
		}
		return qqtest.Deliver
	})
	id := r.enqueue(text)
	if !waitFor(func() bool { return r.outboxState(id) == bot.OutboxUnknown }) {
		t.Fatalf("the message is %s, want %s", r.outboxState(id), bot.OutboxUnknown)
	}
	r.enqueue("下一条")
	r.await(0, "下一条", 0)
	if n := r.attempts(text); n != 1 {
		t.Errorf("the message of unknown outcome was sent %d times, want once", n)
	}
}

// TestBridgeSwapKeepsQueue: a second bridge connection for the account
// replaces the first (whose send hangs); every queued message arrives
// once, in order.
func TestBridgeSwapKeepsQueue(t *testing.T) {
	r := newRig(t, rigOptions{bridge: qqtest.Options{Name: "A", Redial: time.Hour}})
	const hung = "消息05"
	r.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
		if s.Via == "A" && s.Text() == hung {
			return qqtest.Hang
		}
		return qqtest.Deliver
	})
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("消息%02d", i))
		r.enqueue(want[i])
	}
	if !waitFor(func() bool { return r.attempts(hung) == 1 }) {
		t.Fatal("the send to hang did not reach bridge A")
	}
	b := qqtest.Start(r.world, qqtest.Options{URL: r.url, Token: token, Name: "B"})
	t.Cleanup(b.Close)
	if !waitFor(func() bool { return b.Connected() && !r.bridge.Connected() }) {
		t.Fatalf("bridge B did not replace bridge A (A connected %v, B %v)", r.bridge.Connected(), b.Connected())
	}
	r.bridge.Close()
	r.await(0, "消息09", 0)
	var got []string
	for _, s := range r.world.Delivered() {
		got = append(got, s.Text())
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delivered %q, want %q", got, want)
	}
	for _, s := range r.world.Delivered() {
		if s.Text() >= hung && s.Via != "B" {
			t.Errorf("%q went through bridge %s, want B", s.Text(), s.Via)
		}
	}
}

// TestSilentBridgeIsDropped: a bridge whose heartbeats stop is taken for
// dead after three intervals; it connects again and sends go on.
func TestSilentBridgeIsDropped(t *testing.T) {
	r := newRig(t, rigOptions{bridge: qqtest.Options{Heartbeat: 50 * time.Millisecond}})
	r.enqueue("心跳前")
	r.await(0, "心跳前", 0)
	if !waitFor(func() bool { return r.bridge.Beats() >= 2 }) {
		t.Fatal("no heartbeats")
	}
	r.bridge.Silence()
	if !waitFor(func() bool { return r.bridge.Connections() >= 2 }) {
		t.Fatal("the silent connection was not closed")
	}
	r.waitConnected()
	r.enqueue("重连后")
	r.await(0, "重连后", 0)
}

// TestRiskControlHoldsTheAccount: retcode 1200 holds every send of the
// account for the backoff, then the message is sent again and arrives.
func TestRiskControlHoldsTheAccount(t *testing.T) {
	const backoff = 300 * time.Millisecond
	r := newRig(t, rigOptions{qq: qq.Options{RiskBackoff: backoff}})
	const text = "风控测试"
	refused := false
	r.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
		if !refused {
			refused = true
			return qqtest.Fail1200
		}
		return qqtest.Deliver
	})
	r.enqueue(text)
	r.await(0, text, 0)
	sent := r.world.Sent()
	if len(sent) != 2 {
		t.Fatalf("%d sends reached the bridge, want the refused one and its retry", len(sent))
	}
	if gap := sent[1].At.Sub(sent[0].At); gap < backoff {
		t.Errorf("the retry came %s after retcode 1200, want at least the backoff %s", gap, backoff)
	}
}

// TestUnsupportedActionFailsForGood: retcode 1404 fails the message without
// retrying it.
func TestUnsupportedActionFailsForGood(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.world.OnSend(func(s qqtest.Sent) qqtest.Fault { return qqtest.Fail1404 })
	id := r.enqueue("不会送达")
	if !waitFor(func() bool { return r.outboxState(id) == bot.OutboxFailed }) {
		t.Fatalf("the message is %s, want failed", r.outboxState(id))
	}
	if n := r.attempts("不会送达"); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
}

// TestPacing: the outbox's pacing holds for QQ: a burst to one group leaves
// with at least the minimum pause between sends.
func TestPacing(t *testing.T) {
	const gap = 150 * time.Millisecond
	r := newRig(t, rigOptions{limits: bot.Limits{MinGap: gap, MaxGap: 2 * gap}})
	for i := range 4 {
		r.enqueue(fmt.Sprintf("通知%d", i))
	}
	r.await(0, "通知3", 0)
	d := r.world.Delivered()
	for i := 1; i < len(d); i++ {
		if got := d[i].At.Sub(d[i-1].At); got < gap {
			t.Errorf("%q left %s after %q, want at least %s", d[i].Text(), got, d[i-1].Text(), gap)
		}
	}
}

// TestAPIAndEventConnections: a bridge may use two connections, one for
// actions and one for events; messages come in on one and answers go out
// on the other.
func TestAPIAndEventConnections(t *testing.T) {
	r := newRig(t, rigOptions{noStart: true})
	api := qqtest.Start(r.world, qqtest.Options{URL: r.url, Token: token, Role: "API", Name: "api"})
	t.Cleanup(api.Close)
	events := qqtest.Start(r.world, qqtest.Options{URL: r.url, Token: token, Role: "Event", Name: "event"})
	t.Cleanup(events.Close)
	if !waitFor(func() bool { return r.p.Connected() && events.Connected() }) {
		t.Fatal("the pair did not connect")
	}
	r.bridge = events
	r.setUpBranch()
	for _, s := range r.world.Sent() {
		if s.Via != "api" {
			t.Errorf("%q went out on the %s connection", s.Text(), s.Via)
		}
	}
}

// TestStreamAndStrayFrames: several answers for one echo (a stream
// action), an answer nobody waits for and a frame that is not JSON do not
// disturb the connection.
func TestStreamAndStrayFrames(t *testing.T) {
	r := newRig(t, rigOptions{noStart: true})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ws, _, err := qqtest.Dial(ctx, r.url, token, selfQQ, "Universal")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Action string          `json:"action"`
		Echo   json.RawMessage `json:"echo"`
	}
	if err := json.Unmarshal(data, &req); err != nil || req.Action != "get_login_info" {
		t.Fatalf("first frame %s", data)
	}
	for _, frame := range []string{
		`not json`,
		`{"status":"ok","retcode":0,"data":null,"echo":{"seq":99}}`,
		`{"status":"ok","retcode":0,"data":{"user_id":"10001","nickname":"支部助手"},"echo":` + string(req.Echo) + `,"stream":"stream-action"}`,
		`{"status":"ok","retcode":0,"data":{"user_id":10001},"echo":` + string(req.Echo) + `,"stream":"stream-action"}`,
	} {
		if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			t.Fatal(err)
		}
	}
	if !waitFor(r.p.Connected) {
		t.Fatal("the adapter did not take the connection")
	}
}
