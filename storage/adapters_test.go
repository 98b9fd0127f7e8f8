package storage_test

import (
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/storage"
)

// The adapters declare the storage they need; the database provides it.
// These assertions live in a test so that storage does not link the chat
// libraries into every binary that stores something.
var (
	_ telegram.ButtonStore = (*storage.DB)(nil)
	_ wechat.Store         = (*storage.DB)(nil)
)
