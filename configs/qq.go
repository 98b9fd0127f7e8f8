package configs

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// QQConfig connects the QQ adapter: a OneBot v11 bridge (NapCat,
// Lagrange.OneBot, LLOneBot) dials the bot's reverse WebSocket.
type QQConfig struct {
	Enabled bool `yaml:"enabled"`
	// Listen is the address of the reverse WebSocket server (default
	// 127.0.0.1:8082).
	Listen string `yaml:"listen"`
	// Path is where the bridge connects (default /onebot/v11/ws).
	Path string `yaml:"path"`
	// AccessToken must match the bridge's token (or env
	// BRANCHBOT_QQ_ACCESS_TOKEN); required unless Listen is a loopback
	// address.
	AccessToken string `yaml:"access_token"`
	// Files sends exports as files (upload_group_file, upload_private_file
	// with the file's path): only when the bridge reads the bot's files at
	// the same paths (default false: the answer says where the file is).
	Files bool `yaml:"files"`
	// ReconnectWait: how long a send whose connection dropped waits for the
	// bridge to come back and tell whether it arrived (default 10s).
	ReconnectWait time.Duration `yaml:"reconnect_wait"`
	// RiskBackoff: the first account-wide pause after retcode 1200 (an NTQQ
	// timeout, which is what risk control looks like); it doubles while
	// 1200 repeats, up to 10m (default 1m).
	RiskBackoff time.Duration `yaml:"risk_backoff"`
	Limits      LimitsConfig  `yaml:"limits"`
}

// QQ pacing defaults. Tencent publishes no limits; accounts driven by
// OneBot bridges are risk-controlled after bursts (NapCat issues 751, 788),
// so sends are spread like WeChat's: a jittered pause between any two sends
// of the account, at most 20 a minute in all, and at most 10 a minute into
// one group.
const (
	qqMinInterval     = 1500 * time.Millisecond
	qqMaxInterval     = 4 * time.Second
	qqGlobalPerMinute = 20
	qqPerChatPerMin   = 10
)

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		q := &c.Platforms.QQ
		if q.Listen == "" {
			q.Listen = "127.0.0.1:8082"
		}
		if q.Path == "" {
			q.Path = "/onebot/v11/ws"
		}
		if q.ReconnectWait == 0 {
			q.ReconnectWait = 10 * time.Second
		}
		if q.RiskBackoff == 0 {
			q.RiskBackoff = time.Minute
		}
		l := &q.Limits
		if l.MinInterval == 0 && l.MaxInterval == 0 {
			l.MinInterval, l.MaxInterval = qqMinInterval, qqMaxInterval
		}
		if l.GlobalPerMinute == 0 && l.GlobalPerSecond == 0 {
			l.GlobalPerMinute = qqGlobalPerMinute
		}
		if l.PerChatPerMinute == 0 {
			l.PerChatPerMinute = qqPerChatPerMin
		}
	})
	envOverrides = append(envOverrides, func(c *Config) {
		if v := os.Getenv("BRANCHBOT_QQ_ACCESS_TOKEN"); v != "" {
			c.Platforms.QQ.AccessToken = v
		}
	})
	validators = append(validators, func(c *Config) error {
		q := c.Platforms.QQ
		if !strings.HasPrefix(q.Path, "/") {
			return fmt.Errorf("platforms.qq.path: must start with /, not %q", q.Path)
		}
		if q.ReconnectWait < time.Second || q.ReconnectWait > 25*time.Second {
			return fmt.Errorf("platforms.qq.reconnect_wait: must be between 1s and 25s (one send may take 30s), not %s", q.ReconnectWait)
		}
		if q.RiskBackoff < time.Second {
			return fmt.Errorf("platforms.qq.risk_backoff: must be at least 1s, not %s", q.RiskBackoff)
		}
		if q.Enabled && q.Limits.MinInterval < 500*time.Millisecond {
			return fmt.Errorf("platforms.qq.limits.min_interval: must be at least 500ms (QQ restricts accounts that send in bursts), not %s", q.Limits.MinInterval)
		}
		return nil
	})
}
