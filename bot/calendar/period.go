package calendar

import "time"

// Deadline returns the deadline of something filed at filed, counted the
// Chinese way: the filing day itself does not count, and the deadline is
// closeOfBusiness (an offset from midnight) on the businessDays-th working
// day after the filing day. So a ticket filed on Friday (or Saturday) with
// two business days is due on Tuesday at close of business.
//
// businessDays < 1 means DefaultBusinessDays; closeOfBusiness outside
// (0, 24h] means the calendar's WorkEnd.
func (c *Calendar) Deadline(filed time.Time, businessDays int, closeOfBusiness time.Duration) time.Time {
	if businessDays < 1 {
		businessDays = DefaultBusinessDays
	}
	if closeOfBusiness <= 0 || closeOfBusiness > 24*time.Hour {
		closeOfBusiness = c.workEnd
	}
	return c.at(c.addWorkdays(civil(filed.In(c.loc)), businessDays), closeOfBusiness)
}

// AddWorkdays returns midnight (in the calendar's location) of the n-th
// working day after the civil date containing day; the date itself never
// counts. A negative n counts backwards; zero returns the date's own
// midnight, working day or not. The cost is linear in the days crossed.
func (c *Calendar) AddWorkdays(day time.Time, n int) time.Time {
	return c.at(c.addWorkdays(civil(day.In(c.loc)), n), 0)
}

// addWorkdays steps over civil dates given as UTC midnight.
func (c *Calendar) addWorkdays(u time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		u = u.AddDate(0, 0, step)
		if c.workOn(u) {
			n--
		}
	}
	return u
}

// workOn reports whether the civil date u (UTC midnight) is a working day.
func (c *Calendar) workOn(u time.Time) bool {
	return c.year(u.Year()).days[u.YearDay()-1].work(u.Weekday())
}

// BusinessDuration returns how much of the interval from from to to lies
// inside working hours (WorkStart to WorkEnd, wall clock in the calendar's
// location) on working days. It is negative when to is before from. The
// cost is linear in the days crossed.
func (c *Calendar) BusinessDuration(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -c.BusinessDuration(to, from)
	}
	var total time.Duration
	last := civil(to.In(c.loc))
	for u := civil(from.In(c.loc)); !u.After(last); u = u.AddDate(0, 0, 1) {
		if !c.workOn(u) {
			continue
		}
		start, end := c.at(u, c.workStart), c.at(u, c.workEnd)
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}
