// Package calendar is branchbot's official Chinese business calendar: it
// decides which days are working days (Monday to Friday, minus the statutory
// days off, plus the weekend make-up working days, 调休), counts deadlines
// the Chinese way (the filing day does not count) and measures time inside
// business hours, for SLA reminders and response-time statistics.
//
// Schedules come from three places, strongest first:
//
//   - holiday-cn style JSON files that operators drop into a folder
//     (Options.HolidaysDir); a file is authoritative for its year;
//   - the State Council schedules built into github.com/6tail/lunar-go
//     (package HolidayUtil);
//   - for a year with neither, a provisional schedule computed from the
//     statutory holidays the national rules fix (元旦, 春节 from 除夕, 清明,
//     劳动节, 端午, 中秋, 国庆) without any 调休; Options.OnMissingYear is
//     told once so that admins can be warned.
//
// Every date is a civil date in the calendar's time zone (Asia/Shanghai by
// default). A Calendar is safe for concurrent use.
package calendar
