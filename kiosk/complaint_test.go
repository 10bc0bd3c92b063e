package kiosk

import (
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// TestKioskComplaintContent (issue 12, kiosk 1): a complaint at the kiosk is kind → topic → an
// optional call-back number on the keypad → receipt. The stored case says its kind and topic in
// words and carries the number as the requester's phone; no fixed placeholder ("自助机登记
// Kiosk K-…") reaches the department, and kiosk requests on different topics do not form one
// hot topic (the placeholder made "kiosk · 自助机登记 · …").
func TestKioskComplaintContent(t *testing.T) {
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}})
	k.waitScreen(ScreenHome)
	k.request("complaint", "dorm-repairs")
	k.tap("phone")
	k.waitScreen(ScreenPhone)
	for _, d := range "138" {
		k.tap("key:" + string(d))
	}
	k.tap("phone:ok") // 3 digits are not a number
	if st := k.waitScreen(ScreenPhone); st.Notice != "req.phone.short" {
		t.Fatalf("short number accepted: %+v", st.Notice)
	}
	for _, d := range "00138000" {
		k.tap("key:" + string(d))
	}
	k.tap("phone:ok")
	k.waitScreen(ScreenConfirm)
	if b, _ := k.ui.Button("phone"); !strings.Contains(b.Title, "13800138000") {
		t.Fatalf("confirm screen shows %q", b.Title)
	}
	k.tap("submit")
	k.waitFor("receipt", func(s State) bool { return s.Screen == ScreenReceipt && s.Request.Case != nil })
	k.flow.Finish()

	// Three more requests on other topics, without a number.
	for _, tp := range []string{"canteens", "campus-network", "library-seats"} {
		k.waitScreen(ScreenHome)
		k.request("complaint", tp)
		k.tap("submit")
		k.waitFor("receipt", func(s State) bool { return s.Screen == ScreenReceipt && s.Request.Case != nil })
		k.flow.Finish()
	}
	cs := env.cases.list(t)
	if len(cs) != 4 {
		t.Fatalf("%d cases", len(cs))
	}
	for _, c := range cs {
		for _, bad := range []string{"自助机登记", "Kiosk"} {
			if strings.Contains(c.Title, bad) || strings.Contains(c.Text, bad) {
				t.Errorf("case %s: title %q text %q carry the placeholder", c.Number, c.Title, c.Text)
			}
		}
		if !strings.HasPrefix(c.Text, "投诉：") {
			t.Errorf("case %s text %q does not say it is a complaint", c.Number, c.Text)
		}
		if c.Category == "dorm-repairs" {
			if c.Text != "投诉：宿舍与楼宇报修" || c.Requester.Phone != "13800138000" {
				t.Errorf("case %s: text %q phone %q", c.Number, c.Text, c.Requester.Phone)
			}
		} else if c.Requester.Phone != "" {
			t.Errorf("case %s has phone %q", c.Number, c.Requester.Phone)
		}
	}
	now := time.Now()
	for _, tp := range cases.Topics(cs, now.Add(-48*time.Hour), now.Add(-24*time.Hour), now.Add(time.Hour), nil, cases.TopicOptions{}) {
		if tp.Count > 1 {
			t.Errorf("kiosk requests on different topics form one hot topic %q (%v): %v", tp.Label, tp.Keywords, tp.Cases)
		}
	}
	_ = hall.KindComplaint
}
