package queue

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

func TestDeviceReports(t *testing.T) {
	f := newFix(t)
	now := f.clk.now()
	st, ch, err := f.e.ReportDevice(now, "kiosk-1", hall.DeviceReport{Kind: "printer", State: hall.DevicePaperOut, Message: "缺纸"})
	if err != nil {
		t.Fatal(err)
	}
	// The report, then the printer alert it raises for staff (health.go).
	if len(ch.Events) != 2 || ch.Events[0].Type != hall.EventDevice || ch.Events[0].Device == nil || ch.Events[0].Device.State != hall.DevicePaperOut ||
		ch.Events[1].Type != hall.EventDeviceAlert || ch.Events[1].Alert.Kind != hall.AlertPrinter || ch.Events[1].Alert.State != hall.AlertRaised {
		t.Fatalf("events %+v", ch.Events)
	}
	if st.State != hall.DevicePaperOut || len(ch.Meta.Devices) != 1 {
		t.Fatalf("status %+v meta %+v", st, ch.Meta.Devices)
	}
	// The same report again is not news.
	if _, ch, err := f.e.ReportDevice(now.Add(time.Second), "kiosk-1", hall.DeviceReport{Kind: "printer", State: hall.DevicePaperOut, Message: "缺纸"}); err != nil || !ch.Empty() {
		t.Fatalf("repeat report: %v %+v", err, ch)
	}
	// Back to normal replaces the entry; another kiosk adds one.
	f.e.ReportDevice(now.Add(2*time.Second), "kiosk-1", hall.DeviceReport{Kind: "printer", State: hall.DeviceOK})
	f.e.ReportDevice(now.Add(3*time.Second), "kiosk-2", hall.DeviceReport{Kind: "printer", State: hall.DeviceCoverOpen})
	snap := f.e.Snapshot(now)
	if len(snap.Devices) != 2 || snap.Devices[0].State != hall.DeviceOK || snap.Devices[1].State != hall.DeviceCoverOpen {
		t.Fatalf("snapshot devices %+v", snap.Devices)
	}
	// Bad reports change nothing.
	before := f.e.Meta()
	for field, r := range map[string]hall.DeviceReport{
		"kind":    {Kind: "scanner", State: hall.DeviceOK},
		"state":   {Kind: "printer", State: "on_fire"},
		"message": {Kind: "printer", State: hall.DeviceError, Message: strings.Repeat("长", MaxDeviceMessage+1)},
	} {
		if _, _, err := f.e.ReportDevice(now, "kiosk-1", r); hall.ErrorCode(err) != hall.EINVALID || hall.ErrorField(err) != field {
			t.Errorf("%+v: err %v, want invalid %s", r, err, field)
		}
	}
	if !reflect.DeepEqual(before, f.e.Meta()) {
		t.Fatal("a rejected report changed the engine")
	}
	// Restored engines keep the device states.
	r, err := Restore(testHall(), nil, f.e.Meta(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Snapshot(now).Devices; !reflect.DeepEqual(got, snap.Devices) {
		t.Fatalf("restored devices %+v, want %+v", got, snap.Devices)
	}
}

func TestNotices(t *testing.T) {
	f := newFix(t)
	now := f.clk.now()
	n, ch, err := f.e.PublishNotice(now, "n1", hall.Text{Zh: "图书馆座位预约规则调整", En: "New library seat booking rules"}, "supervisor")
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Events) != 1 || ch.Events[0].Type != hall.EventNotice || ch.Events[0].Notice.ID != "n1" || n.By != "supervisor" {
		t.Fatalf("publish: %+v", ch.Events)
	}
	if _, _, err := f.e.PublishNotice(now, "n1", hall.Text{Zh: "再次"}, "x"); hall.ErrorCode(err) != hall.ECONFLICT {
		t.Errorf("duplicate ID: %v", err)
	}
	if _, _, err := f.e.PublishNotice(now, "n2", hall.Text{}, "x"); hall.ErrorCode(err) != hall.EINVALID {
		t.Errorf("empty text: %v", err)
	}
	if _, _, err := f.e.PublishNotice(now, "n3", hall.Text{Zh: strings.Repeat("字", MaxNoticeRunes+1)}, "x"); hall.ErrorField(err) != "text.zh" {
		t.Errorf("long text: %v", err)
	}
	for i := 0; i < MaxNotices+2; i++ {
		f.e.PublishNotice(now, "bulk"+string(rune('a'+i)), hall.Text{Zh: "通知"}, "x")
	}
	notices := f.e.Snapshot(now).Notices
	if len(notices) != MaxNotices || notices[len(notices)-1].ID != "bulk"+string(rune('a'+MaxNotices+1)) {
		t.Fatalf("notice line keeps %d, last %+v", len(notices), notices[len(notices)-1])
	}
	ch, err = f.e.WithdrawNotice(now, notices[0].ID, "supervisor")
	if err != nil || ch.Events[0].Type != hall.EventNoticeGone || len(f.e.Snapshot(now).Notices) != MaxNotices-1 {
		t.Fatalf("withdraw: %v %+v", err, ch.Events)
	}
	if _, err := f.e.WithdrawNotice(now, "nope", "x"); hall.ErrorCode(err) != hall.ENOTFOUND {
		t.Errorf("withdraw unknown: %v", err)
	}
	// Notices stay over midnight.
	f.clk.add(24 * time.Hour)
	f.e.Tick(f.clk.now())
	if len(f.e.Snapshot(f.clk.now()).Notices) != MaxNotices-1 {
		t.Fatal("notices lost at the day reset")
	}
}
