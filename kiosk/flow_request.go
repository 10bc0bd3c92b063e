package kiosk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"onedoor/drivers/escpos"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// requestFlow is the walk-in request sub-flow's state.
type requestFlow struct {
	key   string        // idempotency key of the current walk-in request
	token string        // follow token of the current walk-in request's case
	kick  chan struct{} // wakes the spool delivery loop (Run)
	// public is the base of the follow links: Config.PublicURL, then what the server's answers
	// show (learnPublicLocked).
	public string
}

// learnPublicLocked keeps the base of a follow link the server gave (…/t/{token}, …/c/{token}).
func (f *Flow) learnPublicLocked(followURL string) {
	for _, sep := range []string{"/c/", "/t/"} {
		if i := strings.LastIndex(followURL, sep); i > 0 {
			f.request.public = followURL[:i]
			return
		}
	}
}

// RequestResult is a logged walk-in request as the receipt screen shows it.
type RequestResult struct {
	Kind      string
	Topic     Topic
	Case      *CaseReceipt // nil while it waits in the spool
	Queued    bool         // kept in the spool: the case system is away
	Reference string       // local reference of a queued request
	// FollowURL is where a queued request's case will be followed once delivered (its QR code
	// on the receipt); empty when the kiosk knows no public URL.
	FollowURL string
	// NotKept says the request could be neither stored in the spool (its write failed: a full
	// disk) nor sent: nothing keeps it, and the screen sends the person to a counter.
	NotKept    bool
	Ticket     *TicketResult
	Printing   bool
	Printed    bool
	PrintFault string
}

// StartRequest opens the walk-in request flow (咨询投诉建议).
func (f *Flow) StartRequest() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenHome && f.st.Screen != ScreenOutOfService {
			return
		}
		f.homeLocked(false)
		f.goLocked(ScreenKind)
	})
}

// ChooseKind picks consultation, complaint or suggestion.
func (f *Flow) ChooseKind(kind string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenKind {
			return
		}
		ok := false
		for _, k := range Kinds() {
			ok = ok || k == kind
		}
		if !ok {
			return
		}
		f.st.Kind = kind
		f.goLocked(ScreenTopic)
	})
}

// ChooseTopic picks the topic; the confirmation screen follows.
func (f *Flow) ChooseTopic(code string) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenTopic {
			return
		}
		if _, ok := f.topicLocked(code); !ok {
			return
		}
		f.st.Topic = code
		f.request.key = f.cfg.NewKey()
		f.request.token = newFollowToken()
		f.st.RequestTicket = f.st.Online && f.hasRequestServiceLocked()
		f.goLocked(ScreenConfirm)
	})
}

// The call-back number a person may leave on the keypad: 5 to 15 digits (the case system takes
// 5 to 20).
const (
	minPhone = 5
	maxPhone = 15
)

// editDigits applies a keypad key (a digit, del, clear) to a number of at most max digits.
func editDigits(v, k string, max int) string {
	switch {
	case k == "del" && v != "":
		return v[:len(v)-1]
	case k == "clear":
		return ""
	case len(k) == 1 && k[0] >= '0' && k[0] <= '9' && len(v) < max:
		return v + k
	}
	return v
}

// OpenPhone opens the keypad for an optional call-back number (from the confirmation screen):
// no Chinese keyboard is needed, and the department may call the person back.
func (f *Flow) OpenPhone() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenConfirm {
			return
		}
		f.goLocked(ScreenPhone)
	})
}

// PhoneDone goes back to the confirmation screen with the number typed (none when empty); a
// number too short to be one keeps the keypad open with a notice.
func (f *Flow) PhoneDone() {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenPhone {
			return
		}
		if n := len(f.st.Phone); n > 0 && n < minPhone {
			f.st.Notice = "req.phone.short"
			f.st.Rev++
			return
		}
		f.st.Notice = ""
		f.goLocked(ScreenConfirm)
	})
}

// requestText is what a kiosk request says, in the departments' language: its kind and topic in
// words ("投诉：宿舍报修"); the person adds the details on the phone page.
func requestText(kind string, topic Topic) string {
	return T("zh", Msg("kind."+kind)) + "：" + topic.Name.Zh
}

// SetTopics replaces the request topics (the case catalogue's, fetched by Run); an empty list
// changes nothing. A topic screen on display is redrawn.
func (f *Flow) SetTopics(ts []Topic) {
	if len(ts) == 0 {
		return
	}
	f.update(func() {
		if slices.Equal(f.st.Topics, ts) {
			return
		}
		f.st.Topics = slices.Clone(ts)
		if f.st.Screen == ScreenTopic {
			f.st.Rev++
		}
	})
}

// topicLocked returns the offered topic with the code.
func (f *Flow) topicLocked(code string) (Topic, bool) {
	for _, t := range f.st.Topics {
		if t.Code == code {
			return t, true
		}
	}
	return Topic{}, false
}

func (f *Flow) hasRequestServiceLocked() bool {
	v, ok := f.st.ServiceByCode(f.cfg.Catalogue.RequestService)
	return ok && v.Takes() // outside its hours or past its quota: the request is logged without a ticket
}

// SubmitRequest confirms the walk-in request, with a ticket for a counter when withTicket (and
// the server is reachable). The request is written to the spool before it is sent.
func (f *Flow) SubmitRequest(withTicket bool) {
	f.update(func() {
		f.touchLocked()
		if f.st.Screen != ScreenConfirm || f.request.key == "" {
			return
		}
		topic, _ := f.topicLocked(f.st.Topic)
		req := CaseRequest{Kind: f.st.Kind, Topic: topic.Code, Hall: f.cfg.Hall, Lang: f.st.Lang,
			IdempotencyKey: f.request.key, ConfirmedAt: f.cfg.Now().UTC(), FollowToken: f.request.token,
			Text: requestText(f.st.Kind, topic), Phone: f.st.Phone}
		withTicket = withTicket && f.st.RequestTicket && f.st.Online
		var svc ServiceView
		if v, ok := f.st.ServiceByCode(f.cfg.Catalogue.RequestService); ok {
			svc = v
		}
		key, public := f.request.key, f.request.public
		f.goLocked(ScreenSubmitting)
		f.spawn(func(ctx context.Context) { f.submit(ctx, key, public, req, topic, withTicket, svc) })
	})
}

// submit runs on a goroutine: optional ticket, spool, delivery, receipt.
func (f *Flow) submit(ctx context.Context, key, public string, req CaseRequest, topic Topic, withTicket bool, svc ServiceView) {
	res := &RequestResult{Kind: req.Kind, Topic: topic}
	if withTicket {
		t, err := f.issueWithRetry(ctx, key+"-ticket", wire.IssueRequest{Service: f.cfg.Catalogue.RequestService, Lang: req.Lang})
		if err != nil {
			f.log.Warn("request ticket failed", "err", err)
			if serverTrouble(err) {
				f.update(f.markIssueDownLocked)
			}
		} else {
			req.TicketID = t.ID
			res.Ticket = &TicketResult{ID: t.ID, Number: t.Number, Service: svc.Name, Closed: svc.Code != "" && !svc.Open, Ahead: t.Ahead(),
				EtaSeconds: t.Eta(), Materials: t.Materials, FollowURL: t.FollowURL, IssuedAt: t.IssuedAt}
			if res.Ticket.Closed {
				res.Ticket.ClosedNote = closedNote(svc, f.cfg.Now(), f.cfg.Loc, f.cfg.Catalogue.OpeningHours)
			}
		}
	}
	putErr := f.cfg.Spool.Put(req)
	if putErr != nil {
		f.log.Error("outbox write failed", "key", key, "err", putErr)
	}
	f.update(func() { f.setStorageLocked(putErr) })
	sctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	rec, err := f.cfg.Spool.Send(sctx, f.cfg.Cases, req)
	cancel()
	switch {
	case err == nil:
		res.Case = rec
		res.Printing = true
	case putErr != nil:
		// Neither stored nor sent: nothing keeps it, so no reference; the person goes to a
		// counter (with the ticket, when one was issued).
		f.log.Error("request not kept", "key", key, "err", err)
		res.NotKept = true
		res.Printing = res.Ticket != nil
	case errors.Is(err, ErrCasesUnavailable) || errors.Is(err, errInFlight):
		res.Queued = true
		res.Reference = Reference(key)
		f.KickSpool()
		// The receipt is printed now, with the reference and the QR code of the case the
		// request becomes once delivered (its follow token goes with it).
		if public != "" && req.FollowToken != "" {
			res.FollowURL = public + "/c/" + req.FollowToken
		}
		res.Printing = true
	default:
		f.log.Error("case refused", "key", key, "err", err)
		res.Queued = true // kept in the failed bucket; the desk can look the reference up
		res.Reference = Reference(key)
		res.Printing = res.Ticket != nil
	}
	var hallName hall.Text
	f.update(func() {
		hallName = f.st.HallName
		if res.Case != nil {
			f.learnPublicLocked(res.Case.FollowURL)
		}
		if f.request.key != key {
			return
		}
		f.request.key = ""
		f.st.Request = res
		f.goLocked(ScreenReceipt)
	})
	if !res.Printing {
		return
	}
	var st PrinterStatus
	var perr error
	pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
	if res.Case != nil {
		c := escpos.CaseReceiptData{Hall: hallName.Zh, HallEn: hallName.En, CaseNumber: res.Case.Number,
			Category: topic.Name.Zh, CategoryEn: topic.Name.En, ReceivedAt: req.ConfirmedAt, Loc: f.cfg.Loc,
			FollowURL: res.Case.FollowURL}
		c.Footer, c.FooterEn = receiptFooter(f.cfg.Loc, res)
		st, perr = f.cfg.Printer.PrintCaseReceipt(pctx, c)
	} else if res.Queued {
		// Not delivered yet: the local reference stands for the case number.
		c := escpos.CaseReceiptData{Hall: hallName.Zh, HallEn: hallName.En, CaseNumber: res.Reference,
			Category: topic.Name.Zh, CategoryEn: topic.Name.En, ReceivedAt: req.ConfirmedAt, Loc: f.cfg.Loc,
			FollowURL: res.FollowURL, Footer: T("zh", "slip.queued"), FooterEn: T("en", "slip.queued")}
		st, perr = f.cfg.Printer.PrintCaseReceipt(pctx, c)
	}
	if res.Ticket != nil && (perr == nil || res.Case == nil) {
		var terr error
		td := f.ticketData(hallName, res.Ticket)
		if res.Case != nil {
			td.Footer, td.FooterEn = joinLines(td.Footer, T("zh", "slip.ticket.other")), joinLines(td.FooterEn, T("en", "slip.ticket.other"))
		}
		st, terr = f.cfg.Printer.PrintTicket(pctx, td)
		perr = errors.Join(perr, terr)
	}
	pcancel()
	f.update(func() {
		f.setPrinterLocked(st)
		if f.st.Request != res {
			return
		}
		r := *res
		r.Printing, r.Printed = false, perr == nil
		if perr != nil {
			r.PrintFault = st.State
			f.screenSince = f.cfg.Now()
		}
		f.st.Request = &r
		f.st.Rev++
	})
}

// receiptFooter is the footer of a case receipt (Chinese, English): the reply deadline and, when
// a queue ticket comes with it, where the other QR code is.
func receiptFooter(loc *time.Location, res *RequestResult) (zh, en string) {
	var zs, es []string
	if res.Case != nil && !res.Case.DueAt.IsZero() {
		due := res.Case.DueAt.In(loc).Format(timeLayout)
		zs, es = append(zs, T("zh", "req.done.due", due)), append(es, T("en", "req.done.due", due))
	}
	if res.Ticket != nil {
		zs, es = append(zs, T("zh", "slip.receipt.other")), append(es, T("en", "slip.receipt.other"))
	}
	return strings.Join(zs, "\n"), strings.Join(es, "\n")
}

// joinLines joins the non-empty lines a and b with a line break.
func joinLines(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "\n" + b
}

// timeLayout is how the kiosk writes a time of day with its date, on screen and on paper.
const timeLayout = "2006-01-02 15:04"

// Reference is the short local reference of a request key, shown while it waits in the spool.
func Reference(key string) string {
	k := strings.ToUpper(key)
	if len(k) > 8 {
		k = k[:8]
	}
	return "K-" + k
}

// KickSpool asks the delivery loop to try the spool now.
func (f *Flow) KickSpool() {
	select {
	case f.request.kick <- struct{}{}:
	default:
	}
}
