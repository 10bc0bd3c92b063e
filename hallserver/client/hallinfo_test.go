package client_test

import (
	"context"
	"testing"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

func TestReportDeviceAndNotices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.auth.CreateStaff(ctx, hall.Staff{Username: "admin", Role: hall.RoleAdmin}, "demo"); err != nil {
		t.Fatal(err)
	}
	kiosk := client.New(e.ts.URL, "kiosk")
	st, err := kiosk.ReportDevice(ctx, "students", hall.DeviceReport{Kind: hall.DevicePrinter, State: hall.DeviceCoverOpen})
	if err != nil || st.State != hall.DeviceCoverOpen {
		t.Fatalf("report: %+v %v", st, err)
	}
	if _, err := kiosk.ReportDevice(ctx, "students", hall.DeviceReport{Kind: hall.DevicePrinter, State: "bent"}); client.Code(err) != hall.EINVALID {
		t.Fatalf("bad state: %v", err)
	}
	admin := client.New(e.ts.URL, "")
	if _, err := admin.Login(ctx, "admin", "demo"); err != nil {
		t.Fatal(err)
	}
	n, err := admin.PublishNotice(ctx, "students", hall.Text{Zh: "明日闭馆", En: "Closed tomorrow"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kiosk.PublishNotice(ctx, "students", hall.Text{Zh: "假通知"}); client.Code(err) != hall.EFORBIDDEN {
		t.Fatalf("kiosk published: %v", err)
	}
	snap, err := kiosk.Snapshot(ctx, "students")
	if err != nil || len(snap.Devices) != 1 || len(snap.Notices) != 1 || snap.Notices[0].Text.Zh != "明日闭馆" {
		t.Fatalf("snapshot %+v %v", snap, err)
	}
	if err := admin.WithdrawNotice(ctx, "students", n.ID); err != nil {
		t.Fatal(err)
	}
	if snap, _ := kiosk.Snapshot(ctx, "students"); len(snap.Notices) != 0 {
		t.Fatal("notice not withdrawn")
	}
}
