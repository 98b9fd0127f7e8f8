package redact_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot/redact"
)

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "https://webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck?r=1&skey=%40crypt_ab12&sid=QXsid99&uin=1947263815&deviceid=e123456789012345&synckey=1_5%7C2_5&_=17": dial tcp: connection refused`,
			`Get "https://webpush.wx.qq.com/cgi-bin/mmwebwx-bin/synccheck?r=1&skey=***&sid=***&uin=***&deviceid=***&synckey=***&_=17": dial tcp: connection refused`},
		{`Post "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxsendmsg?lang=zh_CN&pass_ticket=PT%2Bx": EOF`,
			`Post "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxsendmsg?lang=zh_CN&pass_ticket=***": EOF`},
		{`Post "https://api.telegram.org/bot123456789:AAFakeTokenFakeTokenFakeToken12345/getUpdates": timeout`,
			`Post "https://api.telegram.org/bot***/getUpdates": timeout`},
		{`token 123456789:AAFakeTokenFakeTokenFakeToken12345 leaked`, `token *** leaked`},
		{`{"BaseRequest":{"Uin":1947263815,"Sid":"QXsid99","Skey":"@crypt_ab","DeviceID":"e1234"},"SyncKey":{"Count":1,"List":[{"Key":1,"Val":5}]}}`,
			`{"BaseRequest":{"Uin":"***","Sid":"***","Skey":"***","DeviceID":"***"},"SyncKey":"***"}`},
		{`<error><ret>0</ret><skey>@crypt_x</skey><wxsid>s1</wxsid><wxuin>42</wxuin><pass_ticket>p</pass_ticket></error>`,
			`<error><ret>0</ret><skey>***</skey><wxsid>***</wxsid><wxuin>***</wxuin><pass_ticket>***</pass_ticket></error>`},
		{`Cookie: wxsid=abc; webwx_data_ticket=def; mm_lang=zh_CN`, `Cookie: wxsid=***; webwx_data_ticket=***; mm_lang=zh_CN`},
		{`Authorization: Bearer sk-abcdefghijklmnop`, `Authorization: Bearer ***`},
		// Ordinary text and the login QR code's URL pass.
		{`签到「主题党日」已结束 https://login.weixin.qq.com/qrcode/AbCd12==`, `签到「主题党日」已结束 https://login.weixin.qq.com/qrcode/AbCd12==`},
		{`outbox=12 attempt=3 in=4s`, `outbox=12 attempt=3 in=4s`},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestHandlerRedactsEveryAttribute(t *testing.T) {
	var buf bytes.Buffer
	r := redact.New("sk-literal-secret-123", "abc") // "abc" is too short to mask
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, nil))).With("base", "sid=withattr")
	uerr := &url.Error{Op: "Get", URL: "https://wx.qq.com/x?skey=@crypt_1&pass_ticket=PT1", Err: errors.New("connection refused")}
	log.Warn("sync failed skey=inmessage", "err", uerr, "key", "sk-literal-secret-123", slog.Group("g", "url", "https://a/?sid=ingroup"), "n", 3, "abc", "abc")
	out := buf.String()
	for _, leak := range []string{"@crypt_1", "PT1", "sk-literal-secret-123", "withattr", "inmessage", "ingroup"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "n=3") || !strings.Contains(out, "abc=abc") || !strings.Contains(out, "connection refused") {
		t.Errorf("log line lost its facts: %s", out)
	}
}
