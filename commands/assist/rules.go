package assist

import "time"

// The budget and retention rules, as pure functions: storage stores what
// they decide.

// withinBudget reports whether one more request fits a day's usage u under
// a daily budget of limit requests (a budget of 0 allows none).
func withinBudget(u Usage, limit int) bool {
	return limit > 0 && u.Requests < limit
}

// retainedSince is the oldest instant whose messages a chat retaining them
// for window keeps at now: older ones are deleted.
func retainedSince(window time.Duration, now time.Time) time.Time {
	return now.Add(-window)
}
