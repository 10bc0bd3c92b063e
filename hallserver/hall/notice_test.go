package hall

import (
	"testing"
	"time"
)

// TestQuietHoursUntil: inside the span (across midnight too) the notice waits until its end, in
// the same zone; outside it goes at once; a bad span holds nothing.
func TestQuietHoursUntil(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, sh) }
	night := QuietHours{From: "22:00", To: "07:30"}
	for _, tc := range []struct {
		q    QuietHours
		now  time.Time
		want time.Time // zero: not quiet
	}{
		{night, at(4, 23, 10), at(5, 7, 30)},
		{night, at(5, 3, 0), at(5, 7, 30)},
		{night, at(5, 7, 30), time.Time{}},
		{night, at(5, 12, 0), time.Time{}},
		{night, at(4, 22, 0), at(5, 7, 30)},
		{QuietHours{From: "12:00", To: "13:30"}, at(4, 12, 45), at(4, 13, 30)},
		{QuietHours{From: "12:00", To: "13:30"}, at(4, 13, 45), time.Time{}},
		{QuietHours{From: "25:00", To: "07:00"}, at(4, 3, 0), time.Time{}},
		{QuietHours{From: "07:00", To: "07:00"}, at(4, 7, 0), time.Time{}},
	} {
		got, in := tc.q.Until(tc.now)
		if in != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("%v at %v: %v %v, want %v", tc.q, tc.now, got, in, tc.want)
		}
	}
}

// TestCampusChecksNotifySettings: a robot key with a space or quiet hours that are not two times
// are problems naming their field.
func TestCampusChecksNotifySettings(t *testing.T) {
	c := Campus{Name: Text{Zh: "校"}, TimeZone: DefaultTimeZone, Departments: []Department{
		{Code: "library", Name: Text{Zh: "图书馆"}, WecomRobot: "abc-123", QuietHours: &QuietHours{From: "22:00", To: "07:00"}},
		{Code: "it", Name: Text{Zh: "网络中心"}, WecomRobot: "a key", QuietHours: &QuietHours{From: "22:00", To: "late"}},
	}}
	fields := map[string]bool{}
	for _, p := range c.Problems() {
		fields[p.Field] = true
	}
	if !fields["departments[1].wecomRobot"] || !fields["departments[1].quietHours"] || fields["departments[0].wecomRobot"] || fields["departments[0].quietHours"] {
		t.Fatalf("problems %v", fields)
	}
}
