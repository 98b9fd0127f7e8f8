package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/configs"
)

// The program's logger masks the configured secrets and anything shaped
// like a credential, on every line.
func TestLoggerMasksSecrets(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Platforms.Telegram.Token = "987654:ZYXWVUTSRQPONMLKJIH"
	cfg.LLM.APIKey = "sk-do-not-log-me-0123"
	var buf bytes.Buffer
	log := newLogger(&buf, "debug", cfg.Location(), redactorFor(cfg))
	log.Error("llm call failed", "err", errors.New("401 for key sk-do-not-log-me-0123"), "token", cfg.Platforms.Telegram.Token)
	log.Warn("sync", "err", errors.New(`Get "https://webpush.wx.qq.com/synccheck?sid=S1&skey=%40crypt_K&uin=77&deviceid=e9&synckey=1_2": EOF`))
	out := buf.String()
	for _, leak := range []string{"sk-do-not-log-me-0123", "ZYXWVUTSRQPONMLKJIH", "sid=S1", "crypt_K", "uin=77", "deviceid=e9", "synckey=1_2"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds %q:\n%s", leak, out)
		}
	}
}
