package configs

import (
	"strings"
	"testing"
)

func TestTelegramValidation(t *testing.T) {
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "")
	t.Setenv("BRANCHBOT_TELEGRAM_WEBHOOK_SECRET", "")
	const on = "platforms:\n  telegram:\n    enabled: true\n"
	const tok = "    token: \"123456:ABC-def_1\"\n"
	tests := []struct{ yaml, want string }{
		{on, "platforms.telegram.token: required"},
		{on + "    token: nonsense\n", "platforms.telegram.token: does not look like a bot token"},
		{on + tok + "    api_url: ftp://x\n", "platforms.telegram.api_url"},
		{"platforms:\n  telegram:\n    api_url: \"::\"\n", "platforms.telegram.api_url"},
		{on + tok + "    poll_timeout: 1s\n", "platforms.telegram.poll_timeout"},
		{on + tok + "    webhook:\n      listen: \":8443\"\n", "platforms.telegram.webhook.url: required"},
		{on + tok + "    webhook:\n      url: https://bot.example.edu/tg\n", "platforms.telegram.webhook.listen: required"},
		{on + tok + "    webhook:\n      url: https://bot.example.edu/tg\n      listen: \"8443\"\n", "platforms.telegram.webhook.listen: \"8443\""},
		{on + tok + "    webhook:\n      url: http://bot.example.edu/tg\n      listen: \":8443\"\n      secret: s3cret\n", "only posts to https"},
		{on + tok + "    webhook:\n      url: https://bot.example.edu/tg\n      listen: \":8443\"\n", "platforms.telegram.webhook.secret: required"},
		{on + tok + "    webhook:\n      url: https://bot.example.edu/tg\n      listen: \":8443\"\n      secret: \"密码\"\n", "platforms.telegram.webhook.secret: 1-256"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.yaml), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
	good := []string{
		on + tok,
		on + tok + "    api_url: http://127.0.0.1:8081/\n    poll_timeout: 50s\n",
		on + tok + "    webhook:\n      url: https://bot.example.edu/tg\n      listen: \":8443\"\n      secret: s3cret-_X\n",
		// A self-hosted Bot API server may post to plain http.
		on + tok + "    api_url: http://tg-api:8081\n    webhook:\n      url: http://branchbot:8443/\n      listen: \"0.0.0.0:8443\"\n      secret: abc\n",
	}
	for _, y := range good {
		c, err := Parse([]byte(y), "test.yaml")
		if err != nil {
			t.Errorf("%q: %v", y, err)
			continue
		}
		if strings.HasSuffix(c.Platforms.Telegram.APIURL, "/") {
			t.Errorf("api_url kept its trailing slash: %q", c.Platforms.Telegram.APIURL)
		}
	}
	// The token may come from the environment alone.
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "42:from-env")
	c, err := Parse([]byte(on), "test.yaml")
	if err != nil || c.Platforms.Telegram.Token != "42:from-env" {
		t.Fatalf("env token: %v %+v", err, c)
	}
}
