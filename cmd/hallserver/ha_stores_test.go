package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

// haLogin signs a demo staff member in at p and returns the session token.
func haLogin(t *testing.T, p *proc, user string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	code, b, err := p.do("POST", "/api/v1/session", "", map[string]string{"username": user, "password": "demo"})
	if err != nil || code != 200 || json.Unmarshal(b, &s) != nil {
		t.Fatalf("sign in %s at %s: %d %v %s", user, p.addr, code, err, b)
	}
	return s.Token
}

// TestHAStoresFailOver (issue 17: the services beside the queues fail over): three etcd members,
// two hall servers. Through the follower: a slot is booked full, a finished visit is rated, a
// hot topic is answered and a long-standing list item made. The owner is killed with SIGKILL;
// on the new owner the slot is still full (409 start), a booking is cancelled by its token and
// its place taken again, the visit is rated already (409 rating), the topic's answer is there
// (answering again keeps its cases) and so is the list item.
func TestHAStoresFailOver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an etcd cluster and two hall servers")
	}
	endpoints, cli := haCluster(t)
	p1 := startProc(t, filepath.Join(t.TempDir(), "a.db"), "-etcd", endpoints)
	waitOwner(t, cli, p1)
	p2 := startProc(t, filepath.Join(t.TempDir(), "b.db"), "-etcd", endpoints)

	// Bookings through the follower: the first slot of the day booked full.
	admin := haLogin(t, p2, "admin")
	day, slots := p2.bookableDay(t)
	slot := slots[0]
	book := func(p *proc, token string, phone int) (int, apptAnswer, []byte) {
		code, b, err := p.do("POST", "/api/v1/appointments", token, map[string]string{
			"hall": "students", "service": "A", "start": slot.Start, "name": "测试", "phone": fmt.Sprintf("139%08d", phone)})
		if err != nil {
			t.Fatal(err)
		}
		var a apptAnswer
		json.Unmarshal(b, &a)
		return code, a, b
	}
	var booked []apptAnswer
	for i := range slot.Free {
		code, a, b := book(p2, admin, i)
		if code != 201 {
			t.Fatalf("booking %d of %d through the follower: %d %s", i+1, slot.Free, code, b)
		}
		booked = append(booked, a)
	}
	if code, _, b := book(p2, admin, 900); code != 409 {
		t.Fatalf("a booking of the full slot: %d %s, want 409", code, b)
	}

	// A visit issued, served and rated through the follower.
	code, b, err := p2.do("POST", "/api/v1/halls/students/tickets", "demo-kiosk-students", map[string]string{"service": "A"})
	var tk issued
	if err != nil || code != 201 || json.Unmarshal(b, &tk) != nil {
		t.Fatalf("issue: %d %v %s", code, err, b)
	}
	counter := haLogin(t, p2, "counter1")
	for _, act := range []string{"open", "call-next", "start", "finish"} {
		if code, b, err := p2.do("POST", "/api/v1/halls/students/counters/1/"+act, counter, nil); err != nil || code != 200 {
			t.Fatalf("%s: %d %v %s", act, code, err, b)
		}
	}
	rate := func(p *proc) (int, []byte) {
		code, b, err := p.do("POST", "/api/v1/follow/"+tk.Token+"/rating", "", map[string]any{"stars": 5, "comment": "很快"})
		if err != nil {
			t.Fatal(err)
		}
		return code, b
	}
	if code, b := rate(p2); code != 200 && code != 201 {
		t.Fatalf("rating the visit through the follower: %d %s", code, b)
	}

	// A hot topic of three kiosk cases, answered by the supervisor, and a list item.
	for _, text := range []string{"宿舍楼热水一直不热，洗澡只有冷水", "十号宿舍楼晚上洗澡没有热水，报修了没人来", "宿舍热水器坏了，洗澡水是冷的"} {
		if code, b, err := p2.do("POST", "/api/v1/cases", "demo-kiosk-students", map[string]any{"hall": "students", "text": text}); err != nil || code != 201 {
			t.Fatalf("case: %d %v %s", code, err, b)
		}
	}
	sup := haLogin(t, p2, "supervisor")
	var topics struct {
		Topics []struct {
			ID string `json:"id"`
		} `json:"topics"`
	}
	if code, b, err := p2.do("GET", "/api/v1/topics?days=7", sup, nil); err != nil || code != 200 || json.Unmarshal(b, &topics) != nil || len(topics.Topics) != 1 {
		t.Fatalf("topics: %d %v %s", code, err, b)
	}
	topic := topics.Topics[0].ID
	answer := func(p *proc, token, text string) (int, []byte, []string) {
		code, b, err := p.do("POST", "/api/v1/topics/"+topic+"/answer", token, map[string]any{"text": map[string]string{"zh": text}})
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			Cases []string `json:"cases"`
		}
		json.Unmarshal(b, &a)
		return code, b, a.Cases
	}
	code, b, answered := answer(p2, sup, "热水周五前修复")
	if code != 200 || len(answered) != 3 {
		t.Fatalf("answer: %d %s", code, b)
	}
	var item struct {
		ID string `json:"id"`
	}
	code, b, err = p2.do("POST", "/api/v1/longlist", sup, map[string]any{
		"title": map[string]string{"zh": "宿舍热水改造"}, "lead": "logistics",
		"milestones": []map[string]any{{"title": map[string]string{"zh": "管网排查"}, "due": "2026-01-15", "progress": 100}}})
	if err != nil || code != 201 || json.Unmarshal(b, &item) != nil || item.ID == "" {
		t.Fatalf("list item: %d %v %s", code, err, b)
	}

	p1.kill()
	waitOwner(t, cli, p2)

	// Staff sessions are in each server's local file (docs/HA.md): sign in again.
	admin = haLogin(t, p2, "admin")
	if code, _, b := book(p2, admin, 901); code != 409 {
		t.Fatalf("a booking of the full slot on the new owner: %d %s, want 409 (the bookings count)", code, b)
	}
	if code, b, err := p2.do("POST", "/api/v1/appointments/"+booked[0].Token+"/cancel", "", nil); err != nil || code != 200 {
		t.Fatalf("cancel by token on the new owner: %d %v %s", code, err, b)
	}
	if code, _, b := book(p2, admin, 902); code != 201 {
		t.Fatalf("the place freed by the cancel: %d %s", code, b)
	}
	if code, b, err := p2.do("GET", "/api/v1/halls/students/appointments?date="+day, admin, nil); err != nil || code != 200 {
		t.Fatalf("the day's bookings: %d %v %s", code, err, b)
	} else {
		var list struct {
			Appointments []apptAnswer `json:"appointments"`
		}
		json.Unmarshal(b, &list)
		if len(list.Appointments) != slot.Free+1 {
			t.Fatalf("the day lists %d bookings on the new owner, want %d (the booked, the cancelled one, the new one): %s", len(list.Appointments), slot.Free+1, b)
		}
	}
	if code, b := rate(p2); code != 409 {
		t.Fatalf("rating the visit again on the new owner: %d %s, want 409 (rated already)", code, b)
	}
	sup = haLogin(t, p2, "supervisor")
	if code, b, cases := answer(p2, sup, "热水已恢复"); code != 200 || len(cases) != 3 {
		t.Fatalf("answering the topic again on the new owner: %d %s, want 200 with the answer's three cases", code, b)
	}
	if code, b, err := p2.do("GET", "/api/v1/longlist/"+item.ID, sup, nil); err != nil || code != 200 {
		t.Fatalf("the list item on the new owner: %d %v %s", code, err, b)
	}
}
