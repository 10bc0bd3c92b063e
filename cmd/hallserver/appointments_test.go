package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type apptSlot struct {
	Start string `json:"start"`
	Free  int    `json:"free"`
}

type apptAnswer struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Code  string `json:"code"`
	Start string `json:"start"`
	State string `json:"state"`
}

// bookableDay returns the first day from tomorrow with slots of the students hall's service A
// and its slots.
func (p *proc) bookableDay(t *testing.T) (string, []apptSlot) {
	t.Helper()
	for d := 1; d <= 7; d++ {
		day := time.Now().AddDate(0, 0, d).Format(time.DateOnly)
		code, b, err := p.do("GET", "/api/v1/halls/students/services/A/slots?date="+day, "", nil)
		if err != nil || code != 200 {
			t.Fatalf("slots of %s: %d %v %s", day, code, err, b)
		}
		var sl struct {
			Slots []apptSlot `json:"slots"`
		}
		json.Unmarshal(b, &sl)
		if len(sl.Slots) > 0 {
			return day, sl.Slots
		}
	}
	t.Fatal("no day with slots in the week ahead")
	return "", nil
}

// TestKill9DuringBooking books from 24 concurrent clients (an admin booking for callers, so no
// rate limit) the slots of a day, cancelling every other booking again, while the server is
// killed with SIGKILL, several times over. After every restart every acknowledged booking is
// there with its code and slot, booked or (when its cancel was acknowledged) cancelled; no slot holds more than its capacity; no two active bookings of the
// day share a code.
func TestKill9DuringBooking(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary through kill -9 rounds")
	}
	data := filepath.Join(t.TempDir(), "onedoor.db")
	p := startProc(t, data)
	day, slots := p.bookableDay(t)
	capacity := slots[0].Free
	var mu sync.Mutex
	acked := map[string]apptAnswer{} // State: booked, cancelled, or "" (the cancel's answer was lost)
	phone := 0
	for round := 0; round < 4; round++ {
		tok := p.adminToken(t)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for k := 0; k < 24; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					mu.Lock()
					phone++
					ph := fmt.Sprintf("139%08d", phone)
					mu.Unlock()
					sl := slots[(k+i)%len(slots)]
					code, b, err := p.do("POST", "/api/v1/appointments", tok, map[string]string{
						"hall": "students", "service": "A", "start": sl.Start, "name": "测试", "phone": ph})
					if err != nil || code != 201 {
						continue
					}
					var a apptAnswer
					if json.Unmarshal(b, &a) != nil || a.ID == "" {
						continue
					}
					mu.Lock()
					acked[a.ID] = a
					mu.Unlock()
					if i%2 == 1 { // every other booking is cancelled again: the places churn
						code, _, err := p.do("POST", "/api/v1/appointments/"+a.Token+"/cancel", "", nil)
						mu.Lock()
						switch {
						case err == nil && code == 200:
							a.State = "cancelled"
						case err != nil:
							a.State = ""
						}
						acked[a.ID] = a
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
		p.start()

		tok = p.adminToken(t)
		code, b, err := p.do("GET", "/api/v1/halls/students/appointments?date="+day, tok, nil)
		if err != nil || code != 200 {
			t.Fatalf("round %d: day list %d %v %s", round, code, err, b)
		}
		var list struct {
			Appointments []apptAnswer `json:"appointments"`
		}
		json.Unmarshal(b, &list)
		stored := map[string]apptAnswer{}
		perSlot := map[string]int{}
		codes := map[string]string{}
		for _, a := range list.Appointments {
			stored[a.ID] = a
			if a.State == "cancelled" {
				continue
			}
			perSlot[a.Start]++
			if other, dup := codes[a.Code]; dup {
				t.Fatalf("round %d: bookings %s and %s share code %s", round, other, a.ID, a.Code)
			}
			codes[a.Code] = a.ID
		}
		for start, n := range perSlot {
			if n > capacity {
				t.Fatalf("round %d: slot %s holds %d bookings, capacity %d", round, start, n, capacity)
			}
		}
		for id, a := range acked {
			s, ok := stored[id]
			if !ok || (a.State != "" && s.State != a.State) || s.Code != a.Code || s.Start != a.Start {
				t.Fatalf("round %d: acknowledged booking %+v lost or changed after kill -9: %+v", round, a, s)
			}
		}
	}
	if len(acked) == 0 {
		t.Fatalf("no booking was acknowledged; log:\n%s", p.logs())
	}
	t.Logf("%d bookings acknowledged over 4 kill -9 rounds (slots of %d places), none lost, no slot over capacity", len(acked), capacity)
}
