package bot

import (
	"context"
	"fmt"
	"time"
)

// Where says in which kind of chat a command may be used.
type Where int

const (
	Anywhere Where = iota
	GroupOnly
	PrivateOnly
)

// Handler runs one command. An error of type *UserError is shown to the
// caller as it is; any other error is logged and the caller is told that
// something went wrong.
type Handler func(ctx context.Context, r *Request) error

// CommandSpec describes one command for dispatch, /help and platform menus.
type CommandSpec struct {
	Name    string   // English slash name, lower case: "checkin"
	Aliases []string // Chinese aliases, usable with or without a slash: "签到", "到"
	Summary string   // one Chinese line for /help and menus
	Usage   string   // Chinese usage line, e.g. "/checkin open <主题> [时长] [code=口令]"
	Help    string   // longer Chinese help with examples, for /help <command>
	Role    Role     // the least role the caller must hold
	Where   Where
	// Platform, if set, is the only platform whose chats have the command
	// (an adapter's own command, such as WeChat's /rebind); in any other
	// chat it is unknown, like a command that does not exist. Empty: every
	// platform.
	Platform string
	Handler  Handler
}

// AppliesTo reports whether the command exists in chats of platform.
func (s CommandSpec) AppliesTo(platform string) bool {
	return s.Platform == "" || s.Platform == platform
}

// Feature is a group of commands registered together.
type Feature interface {
	Name() string
	Commands() []CommandSpec
}

// Observer is implemented by features that want to see every message that is
// not a command (e.g. to keep recent discussion, or read a bare check-in code).
type Observer interface {
	Observe(ctx context.Context, r *Request) error
}

// Ticker is implemented by features with timed work (closing a relay at its
// deadline, ticket reminders, scheduled pushes). Tick is called periodically
// with the engine's clock; it must derive what is due from storage, so that
// nothing depends on timers kept in memory.
type Ticker interface {
	Tick(ctx context.Context, now time.Time) error
}

// Settler is implemented by features that finish some work in the
// background after their handler has returned (a running count queued a
// moment after the check-ins it counts). Settle returns once that work is
// done; the engine calls it before it delivers due messages in Flush and
// before Run returns.
type Settler interface {
	Settle(ctx context.Context) error
}

// UserError is an error meant for the person who sent the command, in Chinese.
type UserError struct{ Text string }

func (e *UserError) Error() string { return e.Text }

// Errorf makes a UserError.
func Errorf(format string, args ...any) error {
	return &UserError{Text: fmt.Sprintf(format, args...)}
}
