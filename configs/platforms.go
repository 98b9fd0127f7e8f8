package configs

import (
	"os"
	"time"
)

// TelegramConfig connects the Telegram adapter.
type TelegramConfig struct {
	Enabled bool   `yaml:"enabled"`
	Token   string `yaml:"token"`   // or env BRANCHBOT_TELEGRAM_TOKEN
	APIURL  string `yaml:"api_url"` // default https://api.telegram.org
	// PollTimeout is the long-polling timeout.
	PollTimeout time.Duration `yaml:"poll_timeout"`
	Webhook     WebhookConfig `yaml:"webhook"`
	Limits      LimitsConfig  `yaml:"limits"`
}

// WebhookConfig switches Telegram from long polling to a webhook.
type WebhookConfig struct {
	Listen string `yaml:"listen"` // e.g. :8443
	URL    string `yaml:"url"`    // the public https URL Telegram posts to
	Secret string `yaml:"secret"` // or env BRANCHBOT_TELEGRAM_WEBHOOK_SECRET
}

// WeChatConfig connects the WeChat adapter.
type WeChatConfig struct {
	Enabled bool `yaml:"enabled"`
	// SessionFile keeps the hot-login session (mode 0600); default
	// <data_dir>/wechat-session.json.
	SessionFile string `yaml:"session_file"`
	// QRFile receives the login QR code as a PNG; default
	// <data_dir>/wechat-qr.png. See configs/wechat.go for the other keys.
	QRFile string `yaml:"qr_file"`
	// PrintQR prints the QR code in the terminal (default true).
	PrintQR *bool `yaml:"print_qr"`
	// PushLogin asks the phone to confirm a new login before showing a new QR
	// code when the saved session stopped working (default true).
	PushLogin   *bool         `yaml:"push_login"`
	PushTimeout time.Duration `yaml:"push_timeout"` // default 2m
	LoginRetry  time.Duration `yaml:"login_retry"`  // default 10s
	// TooOftenBackoff is the first pause after Ret 1205 (default 1m).
	TooOftenBackoff time.Duration `yaml:"too_often_backoff"`
	// GroupRetry: how long a message to a group that cannot be found waits
	// before trying again (default 10m).
	GroupRetry time.Duration `yaml:"group_retry"`
	// NotifyOffline tells admins on the other platforms when the session
	// ends (default true).
	NotifyOffline *bool        `yaml:"notify_offline"`
	Limits        LimitsConfig `yaml:"limits"`
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		t := &c.Platforms.Telegram
		if t.APIURL == "" {
			t.APIURL = "https://api.telegram.org"
		}
		if t.PollTimeout == 0 {
			t.PollTimeout = 30 * time.Second
		}
		if t.Limits.Concurrency == 0 {
			// Several chats at once, so one slow chat holds no other.
			t.Limits.Concurrency = 8
		}
		w := &c.Platforms.WeChat
		if w.SessionFile == "" {
			w.SessionFile = c.DataDir + "/wechat-session.json"
		}
	})
	envOverrides = append(envOverrides, func(c *Config) {
		if v := os.Getenv("BRANCHBOT_TELEGRAM_TOKEN"); v != "" {
			c.Platforms.Telegram.Token = v
		}
		if v := os.Getenv("BRANCHBOT_TELEGRAM_WEBHOOK_SECRET"); v != "" {
			c.Platforms.Telegram.Webhook.Secret = v
		}
	})
}
