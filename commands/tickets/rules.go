package tickets

import "time"

// The rules of a ticket's life, as pure functions: storage stores what they
// decide.

// remindDue reports whether t gets its due-day reminder at now: it still
// waits for an answer, its department has been told, it was not reminded
// yet, its reminder time has come and its deadline has not passed (an
// overdue ticket is escalated instead).
func remindDue(t Ticket, now time.Time) bool {
	return t.State == StateOpen && !t.RoutedAt.IsZero() && t.RemindedAt.IsZero() &&
		!t.RemindAt.After(now) && t.DueAt.After(now)
}

// escalateBefore is the deadline before which an unanswered ticket is
// escalated at now: after the grace period past its deadline.
func escalateBefore(now time.Time, after time.Duration) time.Time { return now.Add(-after) }

// escalationDue reports whether t is escalated at now: it still waits for an
// answer, was not escalated yet, and its deadline passed more than after ago.
func escalationDue(t Ticket, now time.Time, after time.Duration) bool {
	return t.State == StateOpen && t.EscalatedAt.IsZero() && t.DueAt.Before(escalateBefore(now, after))
}

// responded is t after a staff response (an answer or a closing) at now: the
// first response time is set if there was none.
func responded(t Ticket, now time.Time) Ticket {
	if t.FirstResponseAt.IsZero() {
		t.FirstResponseAt = now
	}
	return t
}

// answered is t after a staff answer at now.
func answered(t Ticket, now time.Time) Ticket {
	t = responded(t, now)
	t.State = StateAnswered
	return t
}

// closed is t after a staff member closed it at now. A close is no answer:
// a ticket closed without one has no first response, and the SLA report
// counts it as closed unanswered.
func closed(t Ticket, now time.Time) Ticket {
	t.State, t.ClosedAt = StateClosed, now
	return t
}

// closedUnanswered reports whether t was closed without any answer.
func closedUnanswered(t Ticket) bool { return t.State == StateClosed && t.FirstResponseAt.IsZero() }

// reopened is t opened again with a new deadline and reminder: the reminder
// and the escalation start over. The first deadline, which the SLA report
// measures, and the first response stay.
func reopened(t Ticket, due, remind time.Time) Ticket {
	t.State, t.ClosedAt = StateOpen, time.Time{}
	t.DueAt, t.RemindAt, t.RemindedAt, t.EscalatedAt = due, remind, time.Time{}, time.Time{}
	return t
}
