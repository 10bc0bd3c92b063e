package bolt

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"sort"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/queue"
)

// HistoryConfig says how much history LoadHistory writes.
type HistoryConfig struct {
	Tickets int       // finished tickets, spread over the days, the campus's halls and their services
	Cases   int       // cases opened over the days (most closed by the end; the last days' still open)
	Days    int       // length of the history, ending at End
	End     time.Time // end of the history (the load command: now)
	Seed    uint64    // the choices (rating, questions, reopenings…) are random from this seed
	Log     io.Writer // progress lines (nil: none)
}

// HistoryStats is what LoadHistory wrote.
type HistoryStats struct {
	Tickets, TicketEvents int
	Cases, CaseEvents     int
	OpenCases             int
}

// LoadHistory fills a new data file with a history (start-up and report measurements: a year of a
// campus is about 300,000 tickets and 30,000 cases; docs/PERFORMANCE.md). The file must have no
// queue or case history yet (ECONFLICT otherwise); no server may have it open.
//
// Tickets are written as the queue store writes them (the ticket as finished, its follow token,
// its ticket.issued, ticket.called and ticket.finished events, the hall's meta with the last seq;
// the next issue starts a new day), 20,000 a transaction. Cases go through the case service and
// store (NewCases) on a simulated clock, one command after another: opened (by category or
// routed by text; the office dispatches what lands in triage), signed, sometimes a question and
// the requester's details or an internal note, replied, rated (one in ten 1–2 stars: reopened,
// replied again, rated again), archived; a few not accepted; the time rules (Tick) run once a
// simulated hour during the working day. Cases opened in the last days are left where the
// simulation is at End. The file is not fsync'd while loading, once at the end.
func LoadHistory(ctx context.Context, db *DB, campus hall.Campus, cfg HistoryConfig) (HistoryStats, error) {
	var st HistoryStats
	if cfg.Days <= 0 || cfg.End.IsZero() {
		return st, hall.Errorf(hall.EINVALID, "days", "a history needs days > 0 and an end")
	}
	if len(campus.Halls) == 0 {
		return st, hall.Errorf(hall.EINVALID, "campus", "the campus has no hall")
	}
	loc, err := campus.Location()
	if err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	if err := db.ensureBuckets(bucketTickets, bucketTokens, bucketMeta); err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta).Stats().KeyN > 0 {
			return hall.Errorf(hall.ECONFLICT, "data", "the file has queue history already: load a history into a new file")
		}
		if b := tx.Bucket(bucketCaseMeta); b != nil && b.Get(caseMetaKey) != nil {
			return hall.Errorf(hall.ECONFLICT, "data", "the file has cases already: load a history into a new file")
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	db.bolt.NoSync, db.bolt.NoGrowSync = true, true
	defer func() { db.bolt.NoSync, db.bolt.NoGrowSync = false, false }()
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	start := cfg.End.In(loc).AddDate(0, 0, -cfg.Days)
	if st.Tickets, st.TicketEvents, err = loadTickets(ctx, db, campus, start, cfg, loc); err != nil {
		return st, err
	}
	logf("history: %d tickets (%d events) over %d days", st.Tickets, st.TicketEvents, cfg.Days)
	if err := loadCases(ctx, db, campus, start, cfg, loc, &st, logf); err != nil {
		return st, err
	}
	if err := db.bolt.Sync(); err != nil {
		return st, fmt.Errorf("history: sync: %w", err)
	}
	return st, nil
}

// loadTickets writes the finished tickets, day by day from start, round robin over the halls and
// their services, 9:00 onwards, ten seconds apart per hall.
func loadTickets(ctx context.Context, db *DB, campus hall.Campus, start time.Time, cfg HistoryConfig, loc *time.Location) (tickets, events int, err error) {
	if cfg.Tickets <= 0 {
		return 0, 0, nil
	}
	type hallState struct {
		seq     uint64
		day     string
		numbers map[string]int
		n       int // tickets today
	}
	halls := make([]*hallState, len(campus.Halls))
	for i := range halls {
		halls[i] = &hallState{}
	}
	perDay := (cfg.Tickets + cfg.Days - 1) / cfg.Days
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	const batch = 20_000
	type tok struct{ k, v []byte }
	for done := 0; done < cfg.Tickets; {
		if err := ctx.Err(); err != nil {
			return tickets, events, err
		}
		n := min(batch, cfg.Tickets-done)
		var toks []tok
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			all := tx.Bucket(bucketTickets)
			all.FillPercent = 0.95
			for i := done; i < done+n; i++ {
				hi := i % len(campus.Halls)
				h, hs := &campus.Halls[hi], halls[hi]
				if len(h.Services) == 0 {
					continue
				}
				dayN := i / perDay
				d := start.AddDate(0, 0, dayN)
				dayKey := d.Format("2006-01-02")
				if hs.day != dayKey {
					hs.day, hs.numbers, hs.n = dayKey, map[string]int{}, 0
				}
				svc := h.Services[hs.n%len(h.Services)]
				hs.numbers[svc.Code]++
				at := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc).Add(time.Duration(hs.n) * 10 * time.Second)
				hs.n++
				called := at.Add(12 * time.Minute)
				fin := called.Add(time.Duration(svc.AvgMinutes+1) * time.Minute)
				counter := 1
				if len(h.Counters) > 0 {
					counter = h.Counters[hs.n%len(h.Counters)].Number
				}
				var raw [20]byte
				rand.Read(raw[:])
				t := hall.Ticket{
					ID: fmt.Sprintf("%s-%s-%d", h.Code, at.Format("20060102"), hs.seq+1), Hall: h.Code, Service: svc.Code,
					Number: fmt.Sprintf("%s%03d", svc.Code, hs.numbers[svc.Code]), Day: dayKey,
					Token: enc.EncodeToString(raw[:]), State: hall.TicketDone, Channel: "kiosk",
					IssuedAt: at, Order: at.UnixNano(), Counter: counter, CalledAt: &called, StartedAt: &called,
					FinishedAt: &fin, Outcome: hall.OutcomeResolved,
				}
				v, err := json.Marshal(&t)
				if err != nil {
					return err
				}
				if err := all.Put([]byte(t.ID), v); err != nil {
					return err
				}
				toks = append(toks, tok{[]byte(t.Token), []byte(t.ID)})
				evs, err := tx.CreateBucketIfNotExists(eventsBucket(h.Code))
				if err != nil {
					return err
				}
				evs.FillPercent = 0.95
				for _, e := range []struct {
					typ hall.EventType
					at  time.Time
				}{{hall.EventIssued, at}, {hall.EventCalled, called}, {hall.EventFinished, fin}} {
					hs.seq++
					ev := hall.Event{Seq: hs.seq, Hall: h.Code, Type: e.typ, At: e.at, Actor: "counter1", Ticket: &t,
						Waiting: map[string]int{svc.Code: 3}}
					v, err := json.Marshal(&ev)
					if err != nil {
						return err
					}
					if err := evs.Put(binary.BigEndian.AppendUint64(nil, hs.seq), v); err != nil {
						return err
					}
					events++
				}
				tickets++
			}
			// Random tokens: insert in key order, a batch at a time.
			sort.Slice(toks, func(i, j int) bool { return string(toks[i].k) < string(toks[j].k) })
			tb := tx.Bucket(bucketTokens)
			for _, t := range toks {
				if err := tb.Put(t.k, t.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return tickets, events, fmt.Errorf("history: tickets: %w", err)
		}
		done += n
	}
	// The halls' meta: the seq goes on after the history; the next issue starts a new day.
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		for i, h := range campus.Halls {
			if halls[i].seq == 0 {
				continue
			}
			v, err := json.Marshal(queue.Meta{Seq: halls[i].seq})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put([]byte(h.Code), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return tickets, events, fmt.Errorf("history: hall meta: %w", err)
	}
	return tickets, events, nil
}

// historyTexts are requests of the simulated cases: a category (routed directly) or "" (the
// router places the text).
var historyTexts = []struct{ category, text string }{
	{"dorm-repairs", "宿舍的空调坏了三天了，一直没人来修"},
	{"", "图书馆三楼总有人用书占座，一占一整天"},
	{"campus-network", "校园网晚上十点以后特别慢"},
	{"", "奖学金评定的结果什么时候公示"},
	{"", "The campus card machine in the canteen ate my money"},
	{"canteens", "食堂二楼的菜价最近涨了很多"},
	{"", "研究生的开题报告需要提交哪些材料"},
	{"exchange-abroad", "请问出国交换的成绩怎么转换学分"},
	{"", "宿舍楼下的路灯坏了，晚上很黑"},
	{"fees-payments", "学费缴纳以后发票在哪里领取"},
	{"", "选课系统总是登不上去"},
	{"clinic", "校医院周末能不能看牙科"},
}

// simClock is the simulated clock of the case history.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// step is the next thing to do with a simulated case.
type step struct {
	at    time.Time
	id    string // case ID
	token string
	dept  string
	n     int // the case's steps so far
	rated int // ratings given
}

type steps []*step

func (s steps) Len() int           { return len(s) }
func (s steps) Less(i, j int) bool { return s[i].at.Before(s[j].at) }
func (s steps) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *steps) Push(x any)        { *s = append(*s, x.(*step)) }
func (s *steps) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

// loadCases runs the simulated cases through the case service.
func loadCases(ctx context.Context, db *DB, campus hall.Campus, start time.Time, cfg HistoryConfig, loc *time.Location, st *HistoryStats, logf func(string, ...any)) error {
	if cfg.Cases <= 0 {
		return nil
	}
	clk := &simClock{t: start}
	cs, err := NewCases(ctx, db, campus, cases.Config{}, clk.Now)
	if err != nil {
		return err
	}
	defer cs.Close()
	rnd := mrand.New(mrand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	var hallCodes []string
	for _, h := range campus.Halls {
		hallCodes = append(hallCodes, h.Code)
	}
	var depts []string
	for _, d := range campus.Departments {
		if d.Code != hall.OfficeDepartment {
			depts = append(depts, d.Code)
		}
	}
	if len(depts) == 0 {
		depts = []string{"logistics"}
	}
	office := func(id, action string) hall.CaseAction {
		return hall.CaseAction{Case: id, Action: action, Role: hall.RoleSupervisor, Actor: "supervisor", ActorDepartment: hall.OfficeDepartment}
	}
	handler := func(s *step, action, text string) hall.CaseAction {
		return hall.CaseAction{Case: s.id, Action: action, Role: hall.RoleHandler, Actor: "h-" + s.dept, ActorDepartment: s.dept, Text: text}
	}
	hours := func(a, b int) time.Duration { return time.Duration(a+rnd.IntN(b-a+1)) * time.Hour }
	var pending steps
	// do runs one step and schedules the next (or none: the case is closed).
	do := func(s *step) error {
		clk.set(s.at)
		s.n++
		var err error
		var c *hall.Case
		next := time.Duration(0)
		switch s.n {
		case 1: // sign, or first dispatch from triage, or not accepted
			switch {
			case rnd.IntN(40) == 0:
				a := office(s.id, hall.CaseActNotAccept)
				a.Text = "不属于受理范围，已告知咨询渠道"
				_, err = cs.Act(ctx, a)
				return ignoreClosed(err)
			case s.dept == "" || s.dept == hall.OfficeDepartment:
				a := office(s.id, hall.CaseActDispatch)
				a.Department = depts[rnd.IntN(len(depts))]
				if c, err = cs.Act(ctx, a); err != nil {
					return ignoreClosed(err)
				}
				s.dept = c.Department
				s.n = 0
				next = hours(1, 3)
			default:
				_, err = cs.Act(ctx, handler(s, hall.CaseActSign, ""))
				next = hours(1, 20)
			}
		case 2: // sometimes a question (answered by the requester) or a note
			switch r := rnd.IntN(10); {
			case r < 2:
				if _, err = cs.Act(ctx, handler(s, hall.CaseActAsk, "请补充具体的楼号和房间号")); err == nil {
					clk.set(s.at.Add(hours(1, 6)))
					_, err = cs.AddDetails(ctx, s.token, "7号楼312，谢谢")
				}
			case r < 4:
				_, err = cs.Act(ctx, handler(s, hall.CaseActNote, "已联系相关科室，等待反馈"))
			}
			next = hours(2, 40)
		case 3, 5: // reply
			_, err = cs.Act(ctx, handler(s, hall.CaseActReply, "您好，您反映的问题已处理完毕，感谢您的反馈。"))
			next = hours(2, 48)
		case 4, 6: // rated; 1–2 stars reopen it (once)
			stars := 3 + rnd.IntN(3)
			if s.rated == 0 && rnd.IntN(10) == 0 {
				stars = 1 + rnd.IntN(2)
			}
			s.rated++
			_, err = cs.Rate(ctx, s.token, hall.Rating{Stars: stars})
			if stars <= 2 {
				s.n = 4 // reply again
				next = hours(4, 30)
			} else {
				s.n = 6
				next = hours(24, 96)
			}
		case 7:
			_, err = cs.Act(ctx, handler(s, hall.CaseActArchive, ""))
			return ignoreClosed(err)
		}
		if err != nil {
			return ignoreClosed(err)
		}
		if next > 0 {
			s.at = s.at.Add(next)
			heap.Push(&pending, s)
		}
		return nil
	}
	runUntil := func(t time.Time) error {
		for len(pending) > 0 && !pending[0].at.After(t) {
			if err := do(heap.Pop(&pending).(*step)); err != nil {
				return err
			}
		}
		return nil
	}
	span := cfg.End.Sub(start)
	lastTick := start
	for i := 0; i < cfg.Cases; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Spread over the days, within 8:00–18:00.
		day := start.Add(time.Duration(float64(span) * float64(i) / float64(cfg.Cases)))
		y, m, d := day.In(loc).Date()
		at := time.Date(y, m, d, 8, 0, 0, 0, loc).Add(time.Duration(rnd.IntN(10*3600)) * time.Second)
		if err := runUntil(at); err != nil {
			return err
		}
		for ; lastTick.Add(time.Hour).Before(at); lastTick = lastTick.Add(time.Hour) {
			if h := lastTick.In(loc).Hour(); h >= 8 && h < 18 {
				clk.set(lastTick)
				if err := cs.Tick(ctx); err != nil {
					return err
				}
			}
		}
		clk.set(at)
		tx := historyTexts[rnd.IntN(len(historyTexts))]
		req := hall.OpenCaseRequest{Kind: []hall.Kind{hall.KindConsultation, hall.KindComplaint, hall.KindSuggestion}[rnd.IntN(3)],
			Channel: hall.ChannelKiosk, Hall: hallCodes[rnd.IntN(len(hallCodes))], Category: tx.category, Text: tx.text,
			Requester: hall.Requester{Name: "张同学", Phone: fmt.Sprintf("138%08d", rnd.IntN(100_000_000))}}
		c, err := cs.Open(ctx, req)
		if err != nil {
			return fmt.Errorf("history: open case %d: %w", i, err)
		}
		heap.Push(&pending, &step{at: at.Add(hours(1, 6)), id: c.ID, token: c.Token, dept: c.Department})
		st.Cases++
		if (i+1)%5000 == 0 {
			logf("history: %d cases, log at seq %d, simulated %s", i+1, cs.LastSeq(), at.Format("2006-01-02"))
		}
	}
	if err := runUntil(cfg.End); err != nil {
		return err
	}
	clk.set(cfg.End)
	st.CaseEvents = int(cs.LastSeq())
	open, err := cs.List(ctx, hall.CaseFilter{Open: true})
	if err != nil {
		return err
	}
	st.OpenCases = len(open)
	logf("history: %d cases (%d events), %d open at the end", st.Cases, st.CaseEvents, st.OpenCases)
	return nil
}

// ignoreClosed treats an action refused because the simulated case moved on (closed, or in
// another state after a time rule) as done.
func ignoreClosed(err error) error {
	switch c := hall.ErrorCode(err); {
	case err == nil, c == hall.ECONFLICT, c == hall.EFORBIDDEN, c == hall.ENOTFOUND:
		return nil
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("history: case action: %w", err)
}
