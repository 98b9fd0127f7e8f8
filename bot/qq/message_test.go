package qq

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
)

func TestParseCQ(t *testing.T) {
	got := ParseCQ("[CQ:at,qq=10001] 接龙 &#91;备注&#93; a&amp;b[CQ:face,id=178][CQ:image,file=x&#44;y.png]尾[CQ:broken")
	want := Message{
		At("10001"), Text(" 接龙 [备注] a&b"),
		{Type: "face", Data: map[string]string{"id": "178"}},
		{Type: "image", Data: map[string]string{"file": "x,y.png"}},
		Text("尾[CQ:broken"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseCQ = %#v\nwant %#v", got, want)
	}
	if text, at := got.PlainText("10001"); text != "接龙 [备注] a&b[表情]尾[CQ:broken" || !at {
		t.Errorf("PlainText = %q, %v", text, at)
	}
	if s := EscapeCQ("[CQ:at,qq=all] & x"); s != "&#91;CQ:at,qq=all&#93; &amp; x" {
		t.Errorf("EscapeCQ = %q", s)
	}
}

func TestMessageFormatsAndIDs(t *testing.T) {
	var ev struct {
		MessageID ID      `json:"message_id"`
		GroupID   ID      `json:"group_id"`
		UserID    ID      `json:"user_id"`
		A         Message `json:"a"`
		S         Message `json:"s"`
		One       Message `json:"one"`
	}
	raw := `{"message_id":-1757556009,"group_id":"291924822","user_id":1.56161516e8,
		"a":[{"type":"at","data":{"qq":10001}},{"type":"text","data":{"text":" 签到"}}],
		"s":"[CQ:at,qq=10001] 签到","one":{"type":"text","data":{"text":"到"}}}`
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.MessageID != -1757556009 || ev.GroupID != 291924822 || ev.UserID != 156161516 {
		t.Errorf("ids %d %d %d", ev.MessageID, ev.GroupID, ev.UserID)
	}
	for _, m := range []Message{ev.A, ev.S} {
		if text, at := m.PlainText("10001"); text != "签到" || !at {
			t.Errorf("%v: PlainText = %q, %v", m, text, at)
		}
	}
	if text, at := ev.One.PlainText("10001"); text != "到" || at {
		t.Errorf("one segment: %q %v", text, at)
	}
	// Mentions of others and of everybody stay in the text and do not
	// address the bot.
	if text, at := (Message{At("all"), Text(" 开会")}).PlainText("10001"); text != "@all 开会" || at {
		t.Errorf("at all: %q %v", text, at)
	}
	var bad ID
	if err := json.Unmarshal([]byte(`"abc"`), &bad); err == nil {
		t.Error("a non-numeric id decoded")
	}
}

func TestBuildSendsArraysOnly(t *testing.T) {
	o, err := build(outbound("555", "[CQ:at,qq=all] 注意", "42", "30001"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(o.params)
	want := `{"group_id":555,"message":[{"type":"reply","data":{"id":"42"}},{"type":"at","data":{"qq":"30001"}},{"type":"text","data":{"text":" [CQ:at,qq=all] 注意"}}]}`
	if o.action != "send_group_msg" || string(b) != want {
		t.Errorf("%s %s\nwant send_group_msg %s", o.action, b, want)
	}
	o, err = build(outbound(PrivatePrefix+"30001", "好的", "", "30001"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(o.params)
	if o.action != "send_private_msg" || string(b) != `{"message":[{"type":"text","data":{"text":"好的"}}],"user_id":30001}` {
		t.Errorf("private: %s %s", o.action, b)
	}
	if _, err := build(outbound("群", "x", "", "")); err == nil {
		t.Error("a non-numeric chat id was taken")
	}
}

func outbound(chat, text, replyTo, mention string) bot.Outbound {
	o := bot.Outbound{ChatID: chat, ChatKind: bot.Group, Text: text, ReplyTo: replyTo}
	if strings.HasPrefix(chat, PrivatePrefix) {
		o.ChatKind = bot.Private
	}
	if mention != "" {
		o.Mention = &bot.Mention{UserID: mention, Name: "张三"}
	}
	return o
}

// TestImageURL: the first picture's download address, from url or from a
// file that is an address; a picture known only by a local name or inline
// data has none.
func TestImageURL(t *testing.T) {
	for cq, want := range map[string]string{
		"看[CQ:image,file=A.png,url=https://multimedia.nt.qq.com.cn/download?appid=1407&amp;rkey=k]":     "https://multimedia.nt.qq.com.cn/download?appid=1407&rkey=k",
		"[CQ:image,file=http://gchat.qpic.cn/gchatpic_new/0/0-0-A/0][CQ:image,url=https://x.example/2]": "http://gchat.qpic.cn/gchatpic_new/0/0-0-A/0",
		"[CQ:image,file=A.png]":               "",
		"[CQ:image,file=base64://aGVsbG8=]":   "",
		"[CQ:image,file=file:///tmp/a.png]":   "",
		"[CQ:face,id=178] https://x.example/": "",
	} {
		if got := ParseCQ(cq).ImageURL(); got != want {
			t.Errorf("ImageURL of %s = %q, want %q", cq, got, want)
		}
	}
}
