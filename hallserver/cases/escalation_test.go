package cases

import (
	"context"
	"slices"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// stateCases is a case store whose List honours the filter's states (and nothing else).
type stateCases struct {
	hall.CaseService
	cases []hall.Case
	asked []hall.CaseFilter
}

func (f *stateCases) List(_ context.Context, flt hall.CaseFilter) ([]hall.Case, error) {
	f.asked = append(f.asked, flt)
	var out []hall.Case
	for _, c := range f.cases {
		if len(flt.States) == 0 || slices.Contains(flt.States, c.State) {
			out = append(out, c)
		}
	}
	return out, nil
}

// TestEscalations: the office's escalation list holds a case of each kind (overdue, warned,
// returned twice, reopened, rated 1–2) in that order, most urgent first; within a kind, the case
// with more reasons, then the earlier limit, comes first. A case with no reason, a case waiting on
// the requester past its limit, a reopened case replied again and a low-rated case already
// archived are not on it. Departments and counter staff are refused.
func TestEscalations(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	past, later := now.Add(-time.Hour), now.Add(48*time.Hour)
	warned := now.Add(-2 * time.Hour)
	base := func(id string, st hall.CaseState) hall.Case {
		return hall.Case{ID: id, Number: id, State: st, Department: "library", ReplyDue: later, Due: later, Requester: hall.Requester{Name: "张三", Phone: "13800138000"}}
	}
	overdue := base("overdue", hall.CaseInProgress)
	overdue.Due = past
	overdueNoReply := base("overdue-reply", hall.CaseDispatched)
	overdueNoReply.ReplyDue = past
	overdueNoReply.Due = now.Add(2 * time.Hour) // later limit than "overdue": after it
	overdueWarned := base("overdue-warned", hall.CaseInProgress)
	overdueWarned.Due = now.Add(3 * time.Hour)
	overdueWarned.ReplyDue = past
	overdueWarned.Timers.ReplyEscalated = &warned // two reasons: before the other overdue ones
	warn := base("warned", hall.CaseInProgress)
	warn.Timers.ResolveWarned = &warned
	returned := base("returned", hall.CaseTriage)
	returned.Returns = 2
	returnedOnce := base("returned-once", hall.CaseTriage)
	returnedOnce.Returns = 1
	reopened := base("reopened", hall.CaseReopened)
	reopened.Reopens = 1
	reopenedReplied := base("reopened-replied", hall.CaseReplied)
	reopenedReplied.Reopens = 1
	rated := base("rated-low", hall.CaseRated)
	rated.Ratings = []hall.Rating{{Stars: 2, Round: 1}}
	ratedGood := base("rated-good", hall.CaseRated)
	ratedGood.Ratings = []hall.Rating{{Stars: 1}, {Stars: 4}}
	waiting := base("waiting", hall.CaseWaitingRequester)
	waiting.Due = past
	archived := base("archived-low", hall.CaseArchived)
	archived.Ratings = []hall.Rating{{Stars: 1}}
	calm := base("calm", hall.CaseInProgress)

	fc := &stateCases{cases: []hall.Case{calm, rated, reopened, archived, returned, warn, waiting, overdueNoReply, returnedOnce, ratedGood, overdue, reopenedReplied, overdueWarned}}
	s := NewService(ServiceConfig{Cases: fc, Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, p := range []*hall.Principal{pSupervisor, pAdmin, pOffice} {
		list, err := s.Escalations(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", p.Subject, err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Case.Number+":"+e.Reasons[0])
		}
		want := []string{"overdue-warned:overdue", "overdue:overdue", "overdue-reply:overdue", "warned:warned", "returned:returned", "reopened:reopened", "rated-low:rated_low"}
		if !slices.Equal(got, want) {
			t.Errorf("%s: escalations %v, want %v", p.Subject, got, want)
		}
		if len(list) > 0 && !slices.Equal(list[0].Reasons, []string{EscOverdue, EscWarned}) {
			t.Errorf("reasons of the first: %v", list[0].Reasons)
		}
		if e := list[len(list)-1]; e.Stars != 2 || e.Case.Requester.Phone == "" {
			t.Errorf("the low-rated case: stars %d, requester %+v (the office sees it)", e.Stars, e.Case.Requester)
		}
	}
	if f := fc.asked[0]; slices.Contains(f.States, hall.CaseArchived) || !slices.Contains(f.States, hall.CaseRated) || !slices.Contains(f.States, hall.CaseTriage) {
		t.Errorf("asked the store for the states %v", f.States)
	}
	for _, p := range []*hall.Principal{pLibrary, pCounter, pKiosk} {
		if _, err := s.Escalations(ctx, p); hall.ErrorCode(err) != hall.EFORBIDDEN {
			t.Errorf("%s: %v, want EFORBIDDEN", p.Subject, err)
		}
	}
}
