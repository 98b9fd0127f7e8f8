package bot

import (
	"context"
	"fmt"
	"time"
)

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

// ImageObserver is implemented by features that want to see every picture
// that comes without a command (Message.Image set; Text is its caption, most
// often empty). Observers see such a picture only if it has words.
type ImageObserver interface {
	ObserveImage(ctx context.Context, r *Request) error
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
type UserError struct {
	Text string
	// Denied marks a refusal for want of a role (Request.Require): the
	// engine logs it as it logs the refusals it decides itself.
	Denied bool
}

func (e *UserError) Error() string { return e.Text }

// Deny makes a UserError that refuses the caller for want of a role, for
// a refusal Request.Require cannot word.
func Deny(format string, args ...any) error {
	return &UserError{Text: fmt.Sprintf(format, args...), Denied: true}
}

// Errorf makes a UserError.
func Errorf(format string, args ...any) error {
	return &UserError{Text: fmt.Sprintf(format, args...)}
}
