package configs

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Checks of platforms.telegram: a token when enabled, a usable api_url, a
// poll timeout the Bot API can hold, and webhook fields that belong together.

var (
	telegramTokenRE  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	webhookSecretRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	officialTelegram = "api.telegram.org"
)

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		t := &c.Platforms.Telegram
		t.APIURL = strings.TrimRight(t.APIURL, "/")
	})
	validators = append(validators, validateTelegram)
}

func validateTelegram(c *Config) error {
	t := c.Platforms.Telegram
	u, err := url.Parse(t.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("platforms.telegram.api_url: %q is not an http(s) URL like https://api.telegram.org", t.APIURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("platforms.telegram.api_url: %q must not have a query or fragment", t.APIURL)
	}
	if !t.Enabled {
		return nil
	}
	switch {
	case t.Token == "":
		return errors.New("platforms.telegram.token: required when platforms.telegram.enabled is true (or set BRANCHBOT_TELEGRAM_TOKEN)")
	case !telegramTokenRE.MatchString(t.Token):
		return errors.New("platforms.telegram.token: does not look like a bot token from @BotFather (digits, a colon, then letters, digits, - and _)")
	}
	if t.PollTimeout < 2*time.Second || t.PollTimeout > 5*time.Minute {
		return fmt.Errorf("platforms.telegram.poll_timeout: must be between 2s and 5m, not %s", t.PollTimeout)
	}
	w := t.Webhook
	if w.URL == "" && w.Listen == "" {
		return nil // long polling; a secret from the environment alone is harmless
	}
	if w.URL == "" {
		return errors.New("platforms.telegram.webhook.url: required when webhook.listen is set (the public URL Telegram posts to)")
	}
	if w.Listen == "" {
		return errors.New("platforms.telegram.webhook.listen: required when webhook.url is set (the address to serve on, e.g. :8443)")
	}
	if _, _, err := net.SplitHostPort(w.Listen); err != nil {
		return fmt.Errorf("platforms.telegram.webhook.listen: %q is not host:port or :port", w.Listen)
	}
	wu, err := url.Parse(w.URL)
	if err != nil || wu.Host == "" || (wu.Scheme != "https" && wu.Scheme != "http") {
		return fmt.Errorf("platforms.telegram.webhook.url: %q is not a URL", w.URL)
	}
	if wu.Scheme != "https" && u.Host == officialTelegram {
		return fmt.Errorf("platforms.telegram.webhook.url: Telegram only posts to https URLs, not %q", w.URL)
	}
	if w.Secret == "" {
		return errors.New("platforms.telegram.webhook.secret: required with a webhook, so that only Telegram can post updates (or set BRANCHBOT_TELEGRAM_WEBHOOK_SECRET)")
	}
	if !webhookSecretRE.MatchString(w.Secret) {
		return errors.New("platforms.telegram.webhook.secret: 1-256 characters of A-Z, a-z, 0-9, _ and - only")
	}
	return nil
}
