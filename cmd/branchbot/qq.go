package main

import (
	"fmt"

	"github.com/branchbot/branchbot/bot/qq"
)

// addQQ attaches the QQ adapter (a OneBot v11 bridge dials its reverse
// WebSocket) when platforms.qq.enabled.
func addQQ(app *App) error {
	q := app.Config.Platforms.QQ
	if !q.Enabled {
		return nil
	}
	p, err := qq.New(qq.Options{
		Listen: q.Listen, Path: q.Path, AccessToken: q.AccessToken, Logger: app.Log,
		ReconnectWait: q.ReconnectWait, RiskBackoff: q.RiskBackoff, Files: q.Files,
	})
	if err != nil {
		return fmt.Errorf("platforms.qq.access_token: %w", err)
	}
	return app.Engine.AddPlatform(p)
}
