package bot

import (
	"context"
	"time"
)

// Request is one command (or observed message) being handled.
type Request struct {
	Message Message
	Chat    Chat
	Caller  Caller
	Command Command // zero for observed messages
	// Spec is the form being run: a command, or a sub-command (whose
	// Parent is its command). Nil for observed messages.
	Spec *CommandSpec

	engine *Engine
	at     time.Time
}

// Engine gives access to the engine, for sending to other chats.
func (r *Request) Engine() *Engine { return r.engine }

// Now is the engine's clock.
func (r *Request) Now() time.Time { return r.engine.Now() }

// At is when the member sent the message by the platform's clock, in the
// configured zone: the instant a member's action (a check-in, a relay join,
// a suggestion filed) is judged at, so an action sent before a deadline
// counts even when the bot handles it later (it was down, or behind). It is
// bounded by the engine's clock against skew: never later than Now, never
// earlier than Now minus Options.MaxMessageAge. A message without a time
// (a button press on some platforms) is taken as sent when it is handled.
func (r *Request) At() time.Time {
	if r.at.IsZero() {
		return r.Now()
	}
	return r.at.In(r.engine.loc)
}

// Units is the current organisation tree.
func (r *Request) Units() *UnitTree { return r.engine.Units() }

// Capabilities of the platform the request came from.
func (r *Request) Capabilities() Capabilities { return r.engine.Capabilities(r.Chat.Platform) }

// GroupMembers lists the members of the request's group, where the
// platform's Capabilities have Members (see Engine.GroupMembers).
func (r *Request) GroupMembers(ctx context.Context) ([]GroupMember, error) {
	return r.engine.GroupMembers(ctx, r.Chat)
}

// IsButton reports whether the request is a button press.
func (r *Request) IsButton() bool { return r.Message.CallbackID != "" }

// Reply answers in the chat the command came from. For a button press it is
// shown to the presser as a short notice instead.
func (r *Request) Reply(ctx context.Context, text string) error {
	if r.IsButton() {
		return r.engine.answerCallback(ctx, r.Chat.Platform, r.Message.CallbackID, text)
	}
	_, err := r.engine.Send(ctx, Outgoing{ChatID: r.Chat.ID, Text: text})
	return err
}

// ReplyMention answers in the chat, naming the caller.
func (r *Request) ReplyMention(ctx context.Context, text string) error {
	if r.IsButton() {
		return r.engine.answerCallback(ctx, r.Chat.Platform, r.Message.CallbackID, text)
	}
	out := Outgoing{ChatID: r.Chat.ID, Text: text}
	if r.Chat.Kind == Group {
		// Named, and under the message it answers where the platform
		// can show that (Telegram, QQ); elsewhere the name alone.
		out.MentionMember = r.Caller.Member.ID
		out.ReplyTo = r.Message.ID
	}
	_, err := r.engine.Send(ctx, out)
	return err
}

// Send queues any message.
func (r *Request) Send(ctx context.Context, m Outgoing) (int64, error) { return r.engine.Send(ctx, m) }

// Refusal is the answer to the caller if they may not run s here, else ""
// (see the function Refusal).
func (r *Request) Refusal(s *CommandSpec) string {
	return Refusal(s, r.Chat, r.Caller, r.engine.Units())
}

// May reports whether the caller may run s in this chat: it exists on the
// chat's platform and Refusal has no objection. /help lists by it.
func (r *Request) May(s *CommandSpec) bool {
	return s.AppliesTo(r.Chat.Platform) && r.Refusal(s) == ""
}

// Can reports whether the caller holds role for the request's chat unit.
// In a group bound to no unit only an admin holds a role (see Refusal).
func (r *Request) Can(role Role) bool {
	if role != RoleMember && r.Chat.Kind == Group && r.Chat.UnitID == 0 {
		return r.Caller.Admin
	}
	return r.Caller.Is(role, r.Chat.UnitID, r.engine.Units())
}

// Require is nil when the caller holds role for every one of units, else
// the refusal in the caller's terms (DenyText) for the first unit they do
// not hold it for. A handler whose spec cannot name the units it acts on
// (Scope AnyUnit, or a private chat) checks them with it.
func (r *Request) Require(role Role, units ...int64) error {
	return Require(r.Caller, r.engine.Units(), role, units...)
}

// Require is Request.Require for a caller acting outside a chat (the web
// console): nil when c holds role for every one of units, else the refusal
// in the caller's terms.
func Require(c Caller, tree *UnitTree, role Role, units ...int64) error {
	for _, u := range units {
		if !c.Is(role, u, tree) {
			return &UserError{Text: DenyText(role, u, c, tree), Denied: true}
		}
	}
	return nil
}
