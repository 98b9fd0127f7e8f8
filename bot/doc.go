// Package bot is branchbot's engine: the platform-neutral model of chats,
// members, units and roles, command parsing, dispatch to features, the durable
// outbox with its rate-limited senders, and the scheduler tick.
//
// It knows no feature and no chat platform. Features register commands, with
// their sub-commands, through Feature (see CommandSpec); platform adapters
// implement Platform in packages below this one.
package bot
