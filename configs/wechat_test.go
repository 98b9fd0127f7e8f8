package configs

import (
	"strings"
	"testing"
	"time"
)

func TestWeChatDefaults(t *testing.T) {
	c, err := Parse([]byte("data_dir: /srv/bot\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	w := c.Platforms.WeChat
	if w.SessionFile != "/srv/bot/wechat-session.json" || w.QRFile != "/srv/bot/wechat-qr.png" {
		t.Errorf("files: %q %q", w.SessionFile, w.QRFile)
	}
	if !Flag(w.PushLogin) || !Flag(w.PrintQR) || !Flag(w.NotifyOffline) || w.PushTimeout != 2*time.Minute || w.GroupRetry != 10*time.Minute {
		t.Errorf("defaults: %+v", w)
	}
	c, err = Parse([]byte("platforms:\n  wechat:\n    push_login: false\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	if Flag(c.Platforms.WeChat.PushLogin) {
		t.Error("push_login: false ignored")
	}
}

func TestWeChatValidation(t *testing.T) {
	for yaml, key := range map[string]string{
		"platforms:\n  wechat:\n    push_timeout: 1s\n":                       "platforms.wechat.push_timeout",
		"platforms:\n  wechat:\n    enabled: true\n":                          "platforms.wechat.limits.min_interval",
		"platforms:\n  wechat:\n    group_retry: 1s\n":                        "platforms.wechat.group_retry",
		"platforms:\n  wechat:\n    enabled: true\n    session_file: \" \"\n": "platforms.wechat.session_file",
	} {
		_, err := Parse([]byte(yaml), "test")
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: error %v, want one naming %s", yaml, err, key)
		}
	}
}
