package configs

import (
	"fmt"
	"strings"
	"time"
)

// Defaults and checks for platforms.wechat.

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		w := &c.Platforms.WeChat
		dir := strings.TrimSuffix(c.DataDir, "/")
		if w.QRFile == "" {
			w.QRFile = dir + "/wechat-qr.png"
		}
		yes := func(b **bool) {
			if *b == nil {
				t := true
				*b = &t
			}
		}
		yes(&w.PrintQR)
		yes(&w.PushLogin)
		yes(&w.NotifyOffline)
		if w.PushTimeout == 0 {
			w.PushTimeout = 2 * time.Minute
		}
		if w.LoginRetry == 0 {
			w.LoginRetry = 10 * time.Second
		}
		if w.TooOftenBackoff == 0 {
			w.TooOftenBackoff = time.Minute
		}
		if w.GroupRetry == 0 {
			w.GroupRetry = 10 * time.Minute
		}
	})
	validators = append(validators, func(c *Config) error {
		w := c.Platforms.WeChat
		for _, d := range []struct {
			key      string
			v, least time.Duration
		}{
			{"push_timeout", w.PushTimeout, 10 * time.Second},
			{"login_retry", w.LoginRetry, time.Second},
			{"too_often_backoff", w.TooOftenBackoff, time.Second},
			{"group_retry", w.GroupRetry, 10 * time.Second},
		} {
			if d.v < d.least {
				return fmt.Errorf("platforms.wechat.%s: must be at least %s, not %s", d.key, d.least, d.v)
			}
		}
		if w.Enabled {
			if strings.TrimSpace(w.SessionFile) == "" {
				return fmt.Errorf("platforms.wechat.session_file: must not be empty")
			}
			if w.Limits.MinInterval < 500*time.Millisecond {
				return fmt.Errorf("platforms.wechat.limits.min_interval: must be at least 500ms (WeChat restricts accounts that send in bursts), not %s", w.Limits.MinInterval)
			}
		}
		return nil
	})
}

// Flag reads an optional yes/no key that defaults to true.
func Flag(b *bool) bool { return b == nil || *b }
