package configs

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// ConsoleConfig is the staff and secretary web console (README, Console).
type ConsoleConfig struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`   // host:port, default 127.0.0.1:8080
	BaseURL string `yaml:"base_url"` // the address people open; default http://<listen>/
	// SessionTTL is how long a sign-in lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		k := &c.Console
		if k.Listen == "" {
			k.Listen = "127.0.0.1:8080"
		}
		if k.BaseURL == "" {
			k.BaseURL = "http://" + k.Listen + "/"
		}
		if k.SessionTTL == 0 {
			k.SessionTTL = 12 * time.Hour
		}
	})
	validators = append(validators, validateConsole)
}

func validateConsole(c *Config) error {
	k := c.Console
	if _, port, err := net.SplitHostPort(k.Listen); err != nil || port == "" {
		return fmt.Errorf("console.listen: %q is not host:port, e.g. 127.0.0.1:8080", k.Listen)
	}
	u, err := url.Parse(k.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("console.base_url: %q is not an http(s) URL like https://console.example.edu.cn/", k.BaseURL)
	}
	if k.SessionTTL < 5*time.Minute || k.SessionTTL > 30*24*time.Hour {
		return fmt.Errorf("console.session_ttl: must be between 5m and 720h, not %s", k.SessionTTL)
	}
	if !strings.HasSuffix(u.Path, "/") && u.Path != "" {
		return fmt.Errorf("console.base_url: %q must be the console's root (end with /)", k.BaseURL)
	}
	return nil
}
