package study

import "time"

// The rules of marks and push runs, as pure functions: storage stores what
// they decide.

// studied decides a /studied given the earlier mark of the same item by the
// same roster entry, if found: only the first counts. It returns whether m
// is recorded and the mark that stands (the earlier one, or m).
func studied(prev Mark, found bool, m Mark) (record bool, first Mark) {
	if found {
		return false, prev
	}
	return true, m
}

// finishedStatus is the status of a run whose fan-out is complete: a
// /push now run stays manual, so that it does not count as the schedule's
// last occurrence.
func finishedStatus(manual bool) string {
	if manual {
		return RunManual
	}
	return RunDone
}

// catchUp splits the occurrences a schedule missed until now (in order):
// those within window are still sent (due); the older ones are skipped,
// reported as how many and the last of them.
func catchUp(occurrences []time.Time, now time.Time, window time.Duration) (due []time.Time, skipped int, lastSkipped time.Time) {
	for _, t := range occurrences {
		if now.Sub(t) > window {
			skipped++
			lastSkipped = t
		} else {
			due = append(due, t)
		}
	}
	return due, skipped, lastSkipped
}
