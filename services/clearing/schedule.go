package clearing

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Beijing is China Standard Time (UTC+8, no daylight saving since 1991),
// fixed so that batches do not depend on the host's zoneinfo. It is the
// clock of clearing days, windows and batch IDs, as it is of the payer
// bank's daily limits.
var Beijing = time.FixedZone("CST", 8*3600)

// Defaults of Schedule.
const (
	DefaultWindow = time.Hour
	DefaultCutoff = 23 * time.Hour
)

// Schedule cuts time into clearing batches (批次 / 场次).
//
// Clearing day D runs from the cut-off of the calendar day before D to
// the cut-off of D, Beijing time: with the default 23:00 cut-off, day
// 2026-03-02 is [2026-03-01 23:00, 2026-03-02 23:00). A day is cut into
// windows of Window, aligned to the day's start; the last window ends at
// the cut-off and is shorter when Window does not divide 24 hours, so no
// window ever spans a cut-off.
type Schedule struct {
	// Window is a batch's length: whole minutes, from 1 minute to 24
	// hours.
	Window time.Duration
	// Cutoff is the Beijing time of day at which a clearing day ends:
	// whole minutes in (0, 24h]. 24h (midnight) makes clearing days
	// calendar days.
	Cutoff time.Duration
}

// DefaultSchedule has hourly windows and the 23:00 cut-off.
var DefaultSchedule = Schedule{Window: DefaultWindow, Cutoff: DefaultCutoff}

const day = 24 * time.Hour

// Validate reports a schedule that cannot label its batches uniquely: a
// batch ID names its window by the minute it starts, so windows and the
// cut-off are whole minutes.
func (s Schedule) Validate() error {
	var errs []error
	if s.Window < time.Minute || s.Window > day || s.Window%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("clearing: window %v must be whole minutes from 1m to 24h", s.Window))
	}
	if s.Cutoff <= 0 || s.Cutoff > day || s.Cutoff%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("clearing: cut-off %v must be a whole-minute time of day after 00:00, up to 24:00", s.Cutoff))
	}
	return errors.Join(errs...)
}

// Batch is one clearing window.
type Batch struct {
	// ID is "B<YYYYMMDD>-<HHMM>": the clearing day and the window's start,
	// Beijing time, e.g. B20260302-2300 for the first window of day
	// 2026-03-02 under the 23:00 cut-off.
	ID string
	// Start and End bound the window, [Start, End), in UTC.
	Start, End time.Time
}

// BatchOf returns the batch whose window holds t. s must be valid.
func (s Schedule) BatchOf(t time.Time) Batch {
	// Moving the clock forward by (24h - cut-off) turns clearing days into
	// calendar days: the date of the shifted time is the clearing day.
	y, m, d := t.In(Beijing).Add(day - s.Cutoff).Date()
	dayEnd := time.Date(y, m, d, 0, 0, 0, 0, Beijing).Add(s.Cutoff)
	dayStart := dayEnd.Add(-day)
	start := dayStart.Add(t.Sub(dayStart) / s.Window * s.Window)
	end := start.Add(s.Window)
	if end.After(dayEnd) {
		end = dayEnd
	}
	return Batch{
		ID:    fmt.Sprintf("B%04d%02d%02d-%s", y, int(m), d, start.In(Beijing).Format("1504")),
		Start: start.UTC(),
		End:   end.UTC(),
	}
}

// Next returns the batch after b.
func (s Schedule) Next(b Batch) Batch { return s.BatchOf(b.End) }

var batchIDPattern = regexp.MustCompile(`^B(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$`)

// Batch returns the batch named id under s, or an error when id is
// malformed or names no window start of s (another window or cut-off).
func (s Schedule) Batch(id string) (Batch, error) {
	midnight, clock, err := parseBatchID(id)
	if err != nil {
		return Batch{}, err
	}
	start := midnight.Add(clock)
	if dayEnd := midnight.Add(s.Cutoff); !start.Before(dayEnd) {
		start = start.Add(-day) // a window before midnight, on the eve of the clearing day
	}
	b := s.BatchOf(start)
	if b.ID != id || !b.Start.Equal(start) {
		return Batch{}, fmt.Errorf("clearing: %q is not a batch of %v windows with the %s cut-off (that time is in %s)",
			id, s.Window, FormatCutoff(s.Cutoff), b.ID)
	}
	return b, nil
}

// ValidateBatchID reports an ID that is not B<YYYYMMDD>-<HHMM> with a
// real date and time of day. Which window it names depends on the
// schedule it was closed under; the batch's BatchClosed says.
func ValidateBatchID(id string) error {
	_, _, err := parseBatchID(id)
	return err
}

// parseBatchID returns the Beijing midnight starting the clearing day an
// ID names and the time of day its window starts.
func parseBatchID(id string) (time.Time, time.Duration, error) {
	m := batchIDPattern.FindStringSubmatch(id)
	if m == nil {
		return time.Time{}, 0, fmt.Errorf("clearing: batch ID %q is not B<YYYYMMDD>-<HHMM>", id)
	}
	n := make([]int, 5)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1]) // the pattern admits digits only
	}
	midnight := time.Date(n[0], time.Month(n[1]), n[2], 0, 0, 0, 0, Beijing)
	if y, mo, d := midnight.Date(); y != n[0] || int(mo) != n[1] || d != n[2] || n[3] > 23 || n[4] > 59 {
		return time.Time{}, 0, fmt.Errorf("clearing: batch ID %q names no real day and time", id)
	}
	return midnight, time.Duration(n[3])*time.Hour + time.Duration(n[4])*time.Minute, nil
}

// ParseCutoff reads a cut-off time of day, "HH:MM" (Beijing time).
// "00:00" and "24:00" both mean midnight at the end of the day.
func ParseCutoff(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if s == "24:00" || err == nil && t.Hour() == 0 && t.Minute() == 0 {
		return day, nil
	}
	if err != nil {
		return 0, fmt.Errorf("clearing: cut-off %q is not HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// FormatCutoff writes a cut-off as ParseCutoff reads it.
func FormatCutoff(c time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(c/time.Hour), int(c%time.Hour/time.Minute))
}
