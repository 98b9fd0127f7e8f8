package tickets

import (
	"testing"
	"time"
)

func TestRemindDue(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	base := Ticket{State: StateOpen, RoutedAt: now.Add(-48 * time.Hour), RemindAt: now, DueAt: now.Add(8 * time.Hour)}
	tests := []struct {
		name string
		edit func(*Ticket)
		want bool
	}{
		{"reminder time reached", func(*Ticket) {}, true},
		{"reminder time passed earlier today", func(t *Ticket) { t.RemindAt = now.Add(-time.Hour) }, true},
		{"reminder time not reached", func(t *Ticket) { t.RemindAt = now.Add(time.Minute) }, false},
		{"reminded already", func(t *Ticket) { t.RemindedAt = now.Add(-time.Minute) }, false},
		{"answered", func(t *Ticket) { t.State = StateAnswered }, false},
		{"closed", func(t *Ticket) { t.State = StateClosed }, false},
		{"department not told yet", func(t *Ticket) { t.RoutedAt = time.Time{} }, false},
		{"deadline passed: escalated instead", func(t *Ticket) { t.DueAt = now.Add(-time.Minute) }, false},
		{"deadline is now", func(t *Ticket) { t.DueAt = now }, false},
	}
	for _, tt := range tests {
		tk := base
		tt.edit(&tk)
		if got := remindDue(tk, now); got != tt.want {
			t.Errorf("%s: remindDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEscalationDue(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	after := time.Hour
	tests := []struct {
		name string
		tk   Ticket
		want bool
	}{
		{"overdue beyond the grace", Ticket{State: StateOpen, DueAt: now.Add(-2 * time.Hour)}, true},
		{"overdue within the grace", Ticket{State: StateOpen, DueAt: now.Add(-30 * time.Minute)}, false},
		{"exactly at the grace", Ticket{State: StateOpen, DueAt: now.Add(-time.Hour)}, false},
		{"not due yet", Ticket{State: StateOpen, DueAt: now.Add(time.Hour)}, false},
		{"escalated already", Ticket{State: StateOpen, DueAt: now.Add(-2 * time.Hour), EscalatedAt: now.Add(-time.Minute)}, false},
		{"answered late", Ticket{State: StateAnswered, DueAt: now.Add(-2 * time.Hour)}, false},
		{"closed", Ticket{State: StateClosed, DueAt: now.Add(-2 * time.Hour)}, false},
	}
	for _, tt := range tests {
		if got := escalationDue(tt.tk, now, after); got != tt.want {
			t.Errorf("%s: escalationDue = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := escalateBefore(now, after); !got.Equal(now.Add(-after)) {
		t.Errorf("escalateBefore = %v", got)
	}
}

func TestTransitions(t *testing.T) {
	filed := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	first, later := filed.Add(2*time.Hour), filed.Add(30*time.Hour)
	due, remind := filed.Add(80*time.Hour), filed.Add(72*time.Hour)
	open := Ticket{State: StateOpen, FirstDueAt: filed.Add(32 * time.Hour), DueAt: filed.Add(32 * time.Hour),
		RemindAt: filed.Add(24 * time.Hour), RemindedAt: filed.Add(24 * time.Hour), EscalatedAt: filed.Add(34 * time.Hour)}
	tests := []struct {
		name string
		got  Ticket
		want func(Ticket) Ticket // open changed as expected
	}{
		{"answered: the first response is set", answered(open, first), func(t Ticket) Ticket {
			t.State, t.FirstResponseAt = StateAnswered, first
			return t
		}},
		{"answered again: the first response stays", answered(answered(open, first), later), func(t Ticket) Ticket {
			t.State, t.FirstResponseAt = StateAnswered, first
			return t
		}},
		{"closed unanswered: a close is no first response", closed(open, first), func(t Ticket) Ticket {
			t.State, t.ClosedAt = StateClosed, first
			return t
		}},
		{"closed after an answer", closed(answered(open, first), later), func(t Ticket) Ticket {
			t.State, t.FirstResponseAt, t.ClosedAt = StateClosed, first, later
			return t
		}},
		{"reopened: new deadline, reminder and escalation start over, SLA facts stay", reopened(closed(answered(open, first), later), due, remind), func(t Ticket) Ticket {
			t.FirstResponseAt, t.DueAt, t.RemindAt, t.RemindedAt, t.EscalatedAt = first, due, remind, time.Time{}, time.Time{}
			return t
		}},
		{"reopened after closing unanswered: still no first response", reopened(closed(open, first), due, remind), func(t Ticket) Ticket {
			t.DueAt, t.RemindAt, t.RemindedAt, t.EscalatedAt = due, remind, time.Time{}, time.Time{}
			return t
		}},
	}
	if !closedUnanswered(closed(open, first)) || closedUnanswered(closed(answered(open, first), later)) || closedUnanswered(open) {
		t.Error("closedUnanswered: want only a ticket closed without an answer")
	}
	for _, tt := range tests {
		if want := tt.want(open); tt.got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, tt.got, want)
		}
	}
}
