package payerbank

import "time"

// beijing is China Standard Time. A fixed zone rather than the tz database:
// China has had no daylight saving since 1991, and the result must not
// depend on the zoneinfo installed on the host.
var beijing = time.FixedZone("CST", 8*3600)

// beijingDay returns the Beijing calendar date of t (YYYY-MM-DD): the day a
// debit counts against for the daily limit.
func beijingDay(t time.Time) string { return t.In(beijing).Format(time.DateOnly) }

// daysBefore returns the date n days before day (both YYYY-MM-DD). It
// panics on a malformed day: days come from beijingDay.
func daysBefore(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("payerbank: malformed day " + day)
	}
	return t.AddDate(0, 0, -n).Format(time.DateOnly)
}
