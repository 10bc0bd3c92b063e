// Package display is the OneDoor hall display: the state of a hall as the display knows it (built
// from the server's stream: a snapshot, then events), the view model derived from it, the Fyne
// user interface that shows it full screen in landscape (1920x1080) or portrait (1080x1920), and
// the controller that wires the stream, the screen and the voice together.
//
// The state logic (State, View) has no Fyne in it and is tested on its own; the UI only draws a
// View. The package never imports fyne.io/fyne/v2/app: cmd/display does.
package display

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"onedoor/display/voice"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
)

// RecentShown is how many calls the "recent calls" list shows besides the current one.
const RecentShown = 6

// AlsoShown is how many calls, besides the newest, the "now calling" panel shows when several
// counters call at once (within AtOnce of the newest call): 2–4 calls in all.
const AlsoShown = 3

// AtOnce is how close to the newest call another counter's call must be to stand beside it.
const AtOnce = 30 * time.Second

// recentKept is how many calls the state keeps (the server keeps 10).
const recentKept = 10

// State is what a display knows about its hall: the last snapshot with every event applied.
// It is not safe for concurrent use; the controller owns it.
type State struct {
	Hall     string
	Name     hall.Text
	Seq      uint64
	Services []Service
	// Recent are the latest calls, newest first.
	Recent []hall.Call
	// Notices are the lines of the scrolling notice.
	Notices []hall.Text
	// CallSerial grows with every new call or recall shown: the screen flashes when it changes.
	CallSerial uint64
	// Synced is false until the first snapshot arrived.
	Synced bool

	counters  map[int]hall.CounterStatus
	noticeIDs []string // IDs of Notices, same order
	// reconfigured is set by a campus.changed event: the hall's services or counters changed,
	// and the next fetched snapshot replaces them (RefreshEstimates).
	reconfigured bool
}

// Service is one service's queue on the display.
type Service struct {
	Code    string
	Name    hall.Text
	Waiting int
	// EtaSeconds is the estimated wait for a ticket issued now.
	EtaSeconds int
	Open       bool
	// OpensAt is when the service opens next while outside its hours (the snapshot's).
	OpensAt *time.Time
	// perPerson is the server's estimate per waiting person at the last snapshot: events carry
	// the waiting counts but not the estimates, so the display scales it.
	perPerson float64
}

// CallKey identifies one announcement of a call (a recall has its own): the same key in a
// snapshot's recent calls and in the event that made the call.
func CallKey(c hall.Call) string {
	return c.Number + "|" + strconv.Itoa(c.Counter) + "|" + strconv.FormatInt(c.At.UnixNano(), 10)
}

// announcementOf is the voice announcement of a call.
func announcementOf(c hall.Call) voice.Announcement {
	return voice.Announcement{Key: CallKey(c), Number: c.Number, Counter: c.Counter, Recall: c.Recall}
}

// Apply applies one stream message and returns the calls to announce, oldest first: the call of
// a ticket.called or ticket.recalled event; after a snapshot that replaces a state the display
// already had (a reconnect the server could not replay), the calls in it newer than the last one
// the display knew. The first snapshot announces nothing: those calls were read out before.
func (s *State) Apply(m client.Message) []voice.Announcement {
	if m.Snapshot != nil {
		return s.applySnapshot(m.Snapshot)
	}
	if m.Event == nil {
		return nil
	}
	ev := m.Event
	s.Seq = ev.Seq
	if ev.Waiting != nil {
		for i := range s.Services {
			if n, ok := ev.Waiting[s.Services[i].Code]; ok {
				s.Services[i].Waiting = n
			}
		}
		s.estimate()
	}
	if ev.Counter != nil {
		cs := s.counters[ev.Counter.Number]
		cs.Number, cs.State, cs.Services = ev.Counter.Number, ev.Counter.State, ev.Counter.Services
		if s.counters == nil {
			s.counters = map[int]hall.CounterStatus{}
		}
		s.counters[ev.Counter.Number] = cs
		s.openness()
	}
	s.applyNoticeEvent(ev)
	if ev.Type == hall.EventCampusChanged {
		s.reconfigured = true
	}
	if ev.Type != hall.EventCalled && ev.Type != hall.EventRecalled || ev.Ticket == nil {
		return nil
	}
	c := hall.Call{Number: ev.Ticket.Number, Service: ev.Ticket.Service, Counter: ev.Ticket.Counter, At: ev.At, Recall: ev.Type == hall.EventRecalled, Priority: ev.Ticket.Priority}
	if ev.Counter != nil {
		c.Counter = ev.Counter.Number
	}
	s.Recent = append([]hall.Call{c}, s.Recent...)
	if len(s.Recent) > recentKept {
		s.Recent = s.Recent[:recentKept]
	}
	s.CallSerial++
	return []voice.Announcement{announcementOf(c)}
}

func (s *State) applySnapshot(snap *hall.Snapshot) []voice.Announcement {
	var missed []voice.Announcement
	if s.Synced {
		var last time.Time
		if len(s.Recent) > 0 {
			last = s.Recent[0].At
		}
		for i := len(snap.RecentCalls) - 1; i >= 0; i-- {
			if c := snap.RecentCalls[i]; c.At.After(last) {
				missed = append(missed, announcementOf(c))
			}
		}
	}
	s.Hall, s.Name, s.Seq, s.Synced = snap.Hall, snap.Name, snap.Seq, true
	old := map[string]float64{}
	for _, sv := range s.Services {
		old[sv.Code] = sv.perPerson
	}
	s.Services = make([]Service, 0, len(snap.Services))
	for _, st := range snap.Services {
		sv := Service{Code: st.Code, Name: st.Name, Waiting: st.Waiting, EtaSeconds: st.EtaSeconds, Open: st.Open, OpensAt: st.OpensAt, perPerson: old[st.Code]}
		if st.Waiting > 0 && st.EtaSeconds > 0 {
			sv.perPerson = float64(st.EtaSeconds) / float64(st.Waiting)
		}
		s.Services = append(s.Services, sv)
	}
	s.counters = map[int]hall.CounterStatus{}
	for _, c := range snap.Counters {
		s.counters[c.Number] = c
	}
	s.Recent = append([]hall.Call(nil), snap.RecentCalls...)
	if len(s.Recent) > recentKept {
		s.Recent = s.Recent[:recentKept]
	}
	s.applySnapshotNotices(snap)
	if len(missed) > 0 {
		s.CallSerial++
	}
	return missed
}

// RefreshEstimates takes the queues (waiting counts, estimates, open) of a snapshot fetched
// outside the stream: stream events carry waiting counts but no estimates, and scaling an old
// estimate per person drifts (the server's estimate is not linear in the waiting count and
// changes with the open counters and the day's service times). A snapshot older than the
// state (an event came in since) is ignored: the next refresh corrects it. It reports whether
// it applied the snapshot.
func (s *State) RefreshEstimates(snap *hall.Snapshot) bool {
	if snap == nil || !s.Synced || snap.Seq < s.Seq {
		return false
	}
	if s.reconfigured {
		// The hall changed (campus.changed): its services, names and counters are the
		// snapshot's, not only the counts.
		s.reconfigured = false
		s.applySnapshot(snap)
		return true
	}
	for _, st := range snap.Services {
		for i := range s.Services {
			sv := &s.Services[i]
			if sv.Code != st.Code {
				continue
			}
			sv.Waiting, sv.EtaSeconds, sv.Open, sv.OpensAt = st.Waiting, st.EtaSeconds, st.Open, st.OpensAt
			if st.Waiting > 0 && st.EtaSeconds > 0 {
				sv.perPerson = float64(st.EtaSeconds) / float64(st.Waiting)
			}
		}
	}
	return true
}

// estimate scales each service's estimate to its waiting count.
func (s *State) estimate() {
	for i := range s.Services {
		sv := &s.Services[i]
		if sv.Waiting == 0 {
			sv.EtaSeconds = 0
		} else if sv.perPerson > 0 {
			sv.EtaSeconds = int(sv.perPerson * float64(sv.Waiting))
		}
	}
}

// openness recomputes which services an open counter serves.
func (s *State) openness() {
	for i := range s.Services {
		s.Services[i].Open = false
		for _, c := range s.counters {
			if c.State != hall.CounterOpen {
				continue
			}
			for _, code := range c.Services {
				if code == s.Services[i].Code {
					s.Services[i].Open = true
				}
			}
		}
	}
}

// serviceName returns the name of the service with the code.
func (s *State) serviceName(code string) hall.Text {
	for _, sv := range s.Services {
		if sv.Code == code {
			return sv.Name
		}
	}
	return hall.Text{Zh: code, En: code}
}

// Link is the display's connection to the server, as the indicator shows it.
type Link struct {
	Connected bool
	// Since is when the connection was made or lost (or the display started).
	Since time.Time
	// Err is why the last connection failed.
	Err error
}

// OfflineAfter is how long the display waits without the server before it says so.
const OfflineAfter = 5 * time.Second

// View is everything the screen shows, ready to draw: no logic is left for the UI.
type View struct {
	HallName hall.Text
	Clock    string // 15:04 (minutes only: the screen is redrawn once a minute for the clock)
	Date     string // 2026年11月25日 星期三 · Wed 25 Nov
	// Now is the current call (nil when nobody was called today).
	Now *CallView
	// Also are calls other counters made at about the same time as Now (newest first, at most
	// AlsoShown): shown beside it, not in Recent.
	Also []CallView
	// CallSerial changes with every new call: the UI flashes the current call.
	CallSerial uint64
	// Recent are the earlier calls, newest first, each number once.
	Recent   []CallView
	Services []ServiceView
	// Notice is the scrolling notice line (empty when there is none).
	Notice string
	Conn   ConnView
}

// CallView is one call on the screen.
type CallView struct {
	Number  string
	Counter string // "3"
	Zh, En  string // 请 A012 号到 3 号窗口 / Number A012, please go to counter 3
	// CounterZh and CounterEn are the short forms for lists: 3 号窗口 / Counter 3.
	CounterZh, CounterEn string
	Service              hall.Text
	Recall               bool
	// Priority marks a green-channel ticket: 绿色通道 / Priority beside the number.
	Priority bool
}

// ServiceView is one service's line.
type ServiceView struct {
	Code    string
	Name    hall.Text
	Waiting string // "12"
	// WaitZh and WaitEn are the estimated wait: 约 15 分钟 / about 15 min (or 无需等待 / no wait,
	// 暂停服务 / closed, and 暂无窗口办理 / no counter now when tickets wait but no open counter
	// serves the service: never minutes then).
	WaitZh, WaitEn string
	Open           bool
}

// ConnView is the connection indicator.
type ConnView struct {
	OK bool
	// Text is empty while all is well (the indicator is a small dot), else what is wrong:
	// 连接中断，正在重连… / Connection lost, reconnecting….
	Zh, En string
}

var weekdays = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// View derives what the screen shows at now (in the hall's location loc) with the link state.
func (s *State) View(now time.Time, loc *time.Location, link Link) View {
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	v := View{
		HallName:   s.Name,
		Clock:      t.Format("15:04"),
		Date:       fmt.Sprintf("%d年%d月%d日 %s · %s", t.Year(), t.Month(), t.Day(), weekdays[t.Weekday()], t.Format("Mon 2 Jan")),
		CallSerial: s.CallSerial,
		Conn:       connView(now, link, s.Synced),
	}
	if v.HallName.Zh == "" && v.HallName.En == "" {
		v.HallName = hall.Text{Zh: s.Hall, En: s.Hall}
	}
	// Each number once (a recall is not listed again below its newer call); calls other
	// counters made within AtOnce of the newest stand beside it, the rest are the recent list.
	seen := map[string]bool{}
	counters := map[int]bool{}
	var newest time.Time
	for _, c := range s.Recent {
		if seen[c.Number] {
			continue
		}
		seen[c.Number] = true
		cv := s.callView(c)
		switch {
		case v.Now == nil:
			v.Now, newest, counters[c.Counter] = &cv, c.At, true
		case len(v.Also) < AlsoShown && len(v.Recent) == 0 && !counters[c.Counter] && newest.Sub(c.At) <= AtOnce:
			v.Also, counters[c.Counter] = append(v.Also, cv), true
		case len(v.Recent) < RecentShown:
			v.Recent = append(v.Recent, cv)
		}
	}
	for _, sv := range s.Services {
		x := ServiceView{Code: sv.Code, Name: sv.Name, Waiting: strconv.Itoa(sv.Waiting), Open: sv.Open}
		switch {
		case !sv.Open && sv.Waiting == 0:
			x.WaitZh, x.WaitEn = "暂停服务", "closed"
		case !sv.Open:
			// Nobody serves it now: no estimate in minutes (it would be made up).
			x.WaitZh, x.WaitEn = "暂无窗口办理", "no counter now"
		case sv.Waiting == 0:
			x.WaitZh, x.WaitEn = "无需等待", "no wait"
		default:
			m := max(1, (sv.EtaSeconds+59)/60)
			x.WaitZh, x.WaitEn = fmt.Sprintf("约 %d 分钟", m), fmt.Sprintf("about %d min", m)
		}
		if !sv.Open && sv.OpensAt != nil && sv.OpensAt.After(now) { // outside its hours: when it opens
			o := hall.OpensText(*sv.OpensAt, now, loc)
			x.WaitZh, x.WaitEn = x.WaitZh+" · "+o.Zh, x.WaitEn+" · "+o.En
		}
		v.Services = append(v.Services, x)
	}
	var parts []string
	for _, n := range s.Notices {
		p := n.Zh
		if n.En != "" && n.En != n.Zh {
			p = strings.TrimSpace(p + "  " + n.En)
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	v.Notice = strings.Join(parts, "   ·   ")
	return v
}

func (s *State) callView(c hall.Call) CallView {
	a := announcementOf(c)
	return CallView{
		Number: c.Number, Counter: strconv.Itoa(c.Counter),
		Zh: voice.ChineseText(a), En: voice.EnglishText(a),
		CounterZh: strconv.Itoa(c.Counter) + " 号窗口", CounterEn: "Counter " + strconv.Itoa(c.Counter),
		Service: s.serviceName(c.Service), Recall: c.Recall, Priority: c.Priority,
	}
}

func connView(now time.Time, l Link, synced bool) ConnView {
	if l.Connected {
		return ConnView{OK: true}
	}
	if now.Sub(l.Since) < OfflineAfter {
		return ConnView{OK: synced} // a blip: say nothing yet
	}
	if !synced {
		return ConnView{Zh: "正在连接服务器…", En: "Connecting to the server…"}
	}
	return ConnView{Zh: "连接中断，正在重连…", En: "Connection lost, reconnecting…"}
}
