package clearing

import (
	"strings"
	"testing"
	"time"
)

// bj is a Beijing wall-clock time.
func bj(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, Beijing)
}

func TestBatchOf(t *testing.T) {
	hourly := DefaultSchedule
	tests := []struct {
		name       string
		s          Schedule
		at         time.Time
		id         string
		start, end time.Time
	}{
		{"mid-day, hourly", hourly, bj(2026, 3, 2, 14, 35, 0), "B20260302-1400", bj(2026, 3, 2, 14, 0, 0), bj(2026, 3, 2, 15, 0, 0)},
		{"first instant after the cut-off opens the next clearing day", hourly, bj(2026, 3, 1, 23, 0, 0),
			"B20260302-2300", bj(2026, 3, 1, 23, 0, 0), bj(2026, 3, 2, 0, 0, 0)},
		{"last instant before the cut-off closes the day", hourly, bj(2026, 3, 2, 22, 59, 59).Add(999 * time.Millisecond),
			"B20260302-2200", bj(2026, 3, 2, 22, 0, 0), bj(2026, 3, 2, 23, 0, 0)},
		{"Beijing midnight is inside a clearing day, not a boundary", hourly, bj(2026, 3, 2, 0, 0, 0),
			"B20260302-0000", bj(2026, 3, 2, 0, 0, 0), bj(2026, 3, 2, 1, 0, 0)},
		{"UTC midnight is 08:00 in Beijing", hourly, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
			"B20260302-0800", bj(2026, 3, 2, 8, 0, 0), bj(2026, 3, 2, 9, 0, 0)},
		{"UTC afternoon of the 1st is already clearing day 2nd", hourly, time.Date(2026, 3, 1, 15, 30, 0, 0, time.UTC),
			"B20260302-2300", bj(2026, 3, 1, 23, 0, 0), bj(2026, 3, 2, 0, 0, 0)},
		{"year end", hourly, bj(2026, 12, 31, 23, 10, 0), "B20270101-2300", bj(2026, 12, 31, 23, 0, 0), bj(2027, 1, 1, 0, 0, 0)},
		{"leap day", hourly, bj(2028, 2, 28, 23, 30, 0), "B20280229-2300", bj(2028, 2, 28, 23, 0, 0), bj(2028, 2, 29, 0, 0, 0)},
		{"45-minute windows align to the day's start, not to the hour", Schedule{45 * time.Minute, 23 * time.Hour}, bj(2026, 3, 2, 0, 40, 0),
			"B20260302-0030", bj(2026, 3, 2, 0, 30, 0), bj(2026, 3, 2, 1, 15, 0)},
		{"the last 50-minute window is cut short at the cut-off", Schedule{50 * time.Minute, 23 * time.Hour}, bj(2026, 3, 2, 22, 50, 0),
			"B20260302-2220", bj(2026, 3, 2, 22, 20, 0), bj(2026, 3, 2, 23, 0, 0)},
		{"a 7-hour window never spans the cut-off", Schedule{7 * time.Hour, 23 * time.Hour}, bj(2026, 3, 2, 22, 0, 0),
			"B20260302-2000", bj(2026, 3, 2, 20, 0, 0), bj(2026, 3, 2, 23, 0, 0)},
		{"one window per day is the whole clearing day", Schedule{24 * time.Hour, 23 * time.Hour}, bj(2026, 3, 2, 12, 0, 0),
			"B20260302-2300", bj(2026, 3, 1, 23, 0, 0), bj(2026, 3, 2, 23, 0, 0)},
		{"midnight cut-off: clearing days are calendar days", Schedule{time.Hour, 24 * time.Hour}, bj(2026, 3, 2, 23, 59, 0),
			"B20260302-2300", bj(2026, 3, 2, 23, 0, 0), bj(2026, 3, 3, 0, 0, 0)},
		{"midnight cut-off: midnight starts the next day", Schedule{time.Hour, 24 * time.Hour}, bj(2026, 3, 3, 0, 0, 0),
			"B20260303-0000", bj(2026, 3, 3, 0, 0, 0), bj(2026, 3, 3, 1, 0, 0)},
		{"early cut-off: 01:30 belongs to the day that ends at 02:00", Schedule{time.Hour, 2 * time.Hour}, bj(2026, 3, 2, 1, 30, 0),
			"B20260302-0100", bj(2026, 3, 2, 1, 0, 0), bj(2026, 3, 2, 2, 0, 0)},
		{"early cut-off: 02:00 opens the next day", Schedule{time.Hour, 2 * time.Hour}, bj(2026, 3, 2, 2, 0, 0),
			"B20260303-0200", bj(2026, 3, 2, 2, 0, 0), bj(2026, 3, 2, 3, 0, 0)},
		{"cut-off off the hour", Schedule{time.Hour, 22*time.Hour + 30*time.Minute}, bj(2026, 3, 2, 22, 45, 0),
			"B20260303-2230", bj(2026, 3, 2, 22, 30, 0), bj(2026, 3, 2, 23, 30, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			b := tt.s.BatchOf(tt.at)
			if b.ID != tt.id || !b.Start.Equal(tt.start) || !b.End.Equal(tt.end) {
				t.Errorf("BatchOf(%s) = %s [%s, %s), want %s [%s, %s)", tt.at.In(Beijing), b.ID,
					b.Start.In(Beijing), b.End.In(Beijing), tt.id, tt.start.In(Beijing), tt.end.In(Beijing))
			}
			if b.Start.Location() != time.UTC || b.End.Location() != time.UTC {
				t.Errorf("window bounds %v, %v are not UTC", b.Start, b.End)
			}
			back, err := tt.s.Batch(b.ID)
			if err != nil || back != b {
				t.Errorf("Batch(%q) = %+v, %v; want %+v", b.ID, back, err, b)
			}
		})
	}
}

// TestWindowsTileTime walks several days window by window under several
// schedules: every window starts where the previous ended, holds its own
// start and not its end, never spans a cut-off, and its ID round-trips.
func TestWindowsTileTime(t *testing.T) {
	for _, s := range []Schedule{
		DefaultSchedule,
		{45 * time.Minute, 23 * time.Hour},
		{50 * time.Minute, 23 * time.Hour},
		{7 * time.Hour, 23 * time.Hour},
		{24 * time.Hour, 24 * time.Hour},
		{time.Minute, 2*time.Hour + 17*time.Minute},
	} {
		b := s.BatchOf(bj(2026, 2, 27, 12, 0, 0))
		seen := map[string]bool{}
		for range 3 * int(day/s.Window+1) {
			next := s.Next(b)
			switch {
			case !next.Start.Equal(b.End):
				t.Fatalf("%+v: %s ends %v but %s starts %v", s, b.ID, b.End, next.ID, next.Start)
			case s.BatchOf(b.Start) != b, s.BatchOf(b.End.Add(-time.Nanosecond)) != b, s.BatchOf(b.End) == b:
				t.Fatalf("%+v: %s does not hold exactly [Start, End)", s, b.ID)
			case b.End.Sub(b.Start) > s.Window || b.End.Sub(b.Start) <= 0:
				t.Fatalf("%+v: %s lasts %v", s, b.ID, b.End.Sub(b.Start))
			case seen[b.ID]:
				t.Fatalf("%+v: ID %s used twice", s, b.ID)
			}
			cut := b.Start.In(Beijing).Truncate(time.Minute)
			cutAt := time.Date(cut.Year(), cut.Month(), cut.Day(), 0, 0, 0, 0, Beijing).Add(s.Cutoff)
			for _, c := range []time.Time{cutAt.Add(-day), cutAt, cutAt.Add(day)} {
				if b.Start.Before(c) && b.End.After(c) {
					t.Fatalf("%+v: %s [%v, %v) spans the cut-off %v", s, b.ID, b.Start, b.End, c)
				}
			}
			if back, err := s.Batch(b.ID); err != nil || back != b {
				t.Fatalf("%+v: Batch(%q) = %+v, %v", s, b.ID, back, err)
			}
			seen[b.ID] = true
			b = next
		}
	}
}

func TestBatchRefusesForeignIDs(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"B20260302-1400x", "is not B<YYYYMMDD>-<HHMM>"},
		{"20260302-1400", "is not B<YYYYMMDD>-<HHMM>"},
		{"B20260230-1400", "names no real day"},
		{"B20260302-2460", "names no real day"},
		{"B20260302-1430", "is not a batch of 1h0m0s windows with the 23:00 cut-off (that time is in B20260302-1400)"},
	}
	for _, tt := range tests {
		if _, err := DefaultSchedule.Batch(tt.id); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Batch(%q) = %v, want an error containing %q", tt.id, err, tt.want)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, s := range []Schedule{
		{0, DefaultCutoff}, {30 * time.Second, DefaultCutoff}, {90 * time.Second, DefaultCutoff}, {25 * time.Hour, DefaultCutoff},
		{time.Hour, 0}, {time.Hour, 25 * time.Hour}, {time.Hour, 23*time.Hour + time.Second},
	} {
		if s.Validate() == nil {
			t.Errorf("%+v validated", s)
		}
	}
}

func TestParseCutoff(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"23:00": 23 * time.Hour, "00:00": day, "24:00": day, "02:30": 2*time.Hour + 30*time.Minute, "00:01": time.Minute,
	} {
		got, err := ParseCutoff(in)
		if err != nil || got != want {
			t.Errorf("ParseCutoff(%q) = %v, %v; want %v", in, got, err, want)
		}
		if in != "00:00" && FormatCutoff(got) != in {
			t.Errorf("FormatCutoff(%v) = %q, want %q", got, FormatCutoff(got), in)
		}
	}
	for _, in := range []string{"", "23", "23:60", "25:00", "11pm", "24:01"} {
		if _, err := ParseCutoff(in); err == nil {
			t.Errorf("ParseCutoff(%q) succeeded", in)
		}
	}
}
