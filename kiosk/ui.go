package kiosk

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"onedoor/hallserver/hall"
)

// UI draws a Flow with Fyne widgets. Build it with NewUI, put Content in a window, and it
// follows the flow by itself: every state change is posted (with the post function given to
// NewUI, fyne.Do in the app) to the UI goroutine, which rebuilds the screen when State.Rev
// changed and otherwise updates the live labels (clock, counts).
type UI struct {
	flow *Flow
	post func(func())

	root    *fyne.Container
	content *fyne.Container
	rev     uint64
	live    []func(State)
	buttons map[string]*Button
	pending atomic.Bool
	// stop is closed when the screen is rebuilt: it ends the screen's animations.
	stop chan struct{}
	// notice is the home screen's notice line (nil when not on screen).
	notice *noticeLine
}

// NewUI returns the UI of the flow. post runs a function on the UI goroutine (fyne.Do).
func NewUI(f *Flow, post func(func())) *UI {
	u := &UI{flow: f, post: post, buttons: map[string]*Button{}, stop: make(chan struct{})}
	u.content = container.NewStack()
	bg := canvas.NewRectangle(colBackground)
	corner := newStaffCorner(f.CornerDown, f.CornerUp)
	overlay := container.NewBorder(container.NewHBox(corner, layout.NewSpacer()), nil, nil, nil)
	u.root = container.NewStack(bg, u.content, overlay)
	f.OnChange(func() {
		if u.pending.CompareAndSwap(false, true) {
			u.post(func() {
				u.pending.Store(false)
				u.Render()
			})
		}
	})
	u.Render()
	return u
}

// Content is the kiosk's whole window content.
func (u *UI) Content() fyne.CanvasObject { return u.root }

// Button returns the button with the id on the current screen ("service:A", "take:standard",
// "take:priority", "keypad", "key:0"…, "key:ok", "lang", "request", "kind:complaint",
// "topic:dorm-repairs", "submit", "submit:ticket", "back", "home", "pin:1", "pin:ok").
func (u *UI) Button(id string) (*Button, bool) {
	b, ok := u.buttons[id]
	return b, ok
}

// Buttons returns the ids of the current screen's buttons.
func (u *UI) Buttons() []string {
	out := make([]string, 0, len(u.buttons))
	for id := range u.buttons {
		out = append(out, id)
	}
	return out
}

// Render draws the flow's current state. Call it on the UI goroutine.
func (u *UI) Render() {
	st := u.flow.State()
	if st.Rev != u.rev {
		u.rev = st.Rev
		u.buttons = map[string]*Button{}
		u.live = nil
		close(u.stop)
		u.stop = make(chan struct{})
		u.notice = nil
		u.content.Objects = []fyne.CanvasObject{u.build(st)}
		for _, l := range u.live {
			l(st)
		}
		u.content.Refresh()
		return
	}
	for _, l := range u.live {
		l(st)
	}
}

// btn makes a button and registers it under id.
func (u *UI) btn(id, title string, fill color.Color, onTap func(), lines ...string) *Button {
	b := newButton(id, title, fill, onTap, lines...)
	u.buttons[id] = b
	return b
}

// text returns a single-line text.
func text(s string, size float32, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextSize = size
	t.TextStyle = fyne.TextStyle{Bold: bold}
	return t
}

// centred returns a centred single-line text.
func centred(s string, size float32, c color.Color, bold bool) *canvas.Text {
	t := text(s, size, c, bold)
	t.Alignment = fyne.TextAlignCenter
	return t
}

// para returns a wrapping paragraph in body size (large when big).
func para(s string, big bool, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	l.SizeName = sizeNameBody
	if big {
		l.SizeName = sizeNameLarge
	}
	l.Importance = imp
	return l
}

// minutes rounds seconds up to whole minutes.
func minutes(sec int) int { return (sec + 59) / 60 }

// build makes the screen for st.
func (u *UI) build(st State) fyne.CanvasObject {
	var body fyne.CanvasObject
	switch st.Screen {
	case ScreenHome:
		body = u.home(st)
	case ScreenOptions:
		body = u.options(st)
	case ScreenKeypad:
		body = u.keypad(st)
	case ScreenIssuing:
		body = container.NewCenter(centred(T(st.Lang, "issuing"), sizeTitle, colText, true))
	case ScreenResult:
		body = u.result(st)
	case ScreenKind:
		body = u.kinds(st)
	case ScreenTopic:
		body = u.topics(st)
	case ScreenConfirm:
		body = u.confirm(st)
	case ScreenPhone:
		body = u.phonePad(st)
	case ScreenSubmitting:
		body = container.NewCenter(centred(T(st.Lang, "req.submitting"), sizeTitle, colText, true))
	case ScreenReceipt:
		body = u.receipt(st)
	case ScreenPIN:
		body = u.pin(st)
	case ScreenBooking:
		body = u.bookingPad(st)
	case ScreenCheckingIn:
		body = container.NewCenter(centred(T(st.Lang, "appt.checking"), sizeTitle, colText, true))
	case ScreenBookingRefused:
		body = u.refused(st)
	default:
		body = u.outOfService(st)
	}
	return container.NewBorder(u.topBar(st), u.bottomBar(st), nil, nil, container.NewPadded(body))
}

// topBar shows the hall's name, the clock and the language switch.
func (u *UI) topBar(st State) fyne.CanvasObject {
	name := text(st.HallName.In(st.Lang), sizeLarge, colText, true)
	clock := text("", sizeLarge, colText, true)
	date := text("", sizeSmall, colSubtle, false)
	u.live = append(u.live, func(s State) {
		now := s.Now.In(s.Loc)
		clock.Text = now.Format("15:04:05")
		if s.Lang == "en" {
			date.Text = now.Format("Mon 2 Jan 2006")
		} else {
			date.Text = fmt.Sprintf("%d年%d月%d日 星期%s", now.Year(), now.Month(), now.Day(), []string{"日", "一", "二", "三", "四", "五", "六"}[now.Weekday()])
		}
		clock.Refresh()
		date.Refresh()
	})
	lang := u.btn("lang", T(st.Lang, "lang.switch"), colNeutral, u.flow.ToggleLang)
	lang.TitleSize, lang.MinHeight = sizeBody, 90
	right := container.NewHBox(container.NewVBox(clock, date), lang)
	bar := container.NewBorder(nil, nil, container.NewPadded(name), right)
	panel := canvas.NewRectangle(colPanel)
	return container.NewStack(panel, container.NewPadded(bar))
}

// bottomBar has back/home where a person may go back.
func (u *UI) bottomBar(st State) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	switch st.Screen {
	case ScreenOptions, ScreenKeypad, ScreenKind, ScreenTopic, ScreenConfirm, ScreenPhone, ScreenPIN, ScreenBooking, ScreenBookingRefused:
		back := u.btn("back", T(st.Lang, "nav.back"), colNeutral, u.flow.Back)
		back.MinHeight = 100
		objs = append(objs, back)
		if st.Screen != ScreenOptions && st.Screen != ScreenKind && st.Screen != ScreenPIN {
			home := u.btn("home", T(st.Lang, "nav.home"), colNeutral, u.flow.Home)
			home.MinHeight = 100
			objs = append(objs, home)
		}
	default:
		return nil
	}
	return container.NewPadded(container.NewGridWithColumns(len(objs)+1, append(objs, layout.NewSpacer())...))
}

// home is the service list and the request entry.
func (u *UI) home(st State) fyne.CanvasObject {
	lang := st.Lang
	var btns []fyne.CanvasObject
	for _, sv := range st.Services {
		code := sv.Code
		b := u.btn("service:"+code, code+"  "+sv.Name.In(lang), colPrimary, func() { u.flow.ChooseService(code) }, "")
		b.TitleSize = sizeLarge + 4
		b.MinHeight = 150
		switch {
		case !sv.Takes():
			// Past its quota or outside its hours: greyed, why and when it issues again.
			b.Disabled = true
			b.Lines = []string{issueNote(sv, st.Now, st.Loc).In(lang)}
		case !sv.Open:
			// Nobody serves it: the waiting count without a wait estimate ("约 0 分钟" and "无需
			// 等待" were wrong), that nobody serves it now, and when the counters open if known.
			line := T(lang, "home.closed.take")
			if n := closedNote(sv, st.Now, st.Loc, st.OpeningHours).In(lang); n != "" {
				line = n + "  ·  " + line // "明天 08:30 开始办理" or the opening hours
			}
			b.Lines = append(b.Lines, line)
			b.LineColor = []color.Color{colNote, colNote}
		}
		if sv.Until != "" { // seasonal, in its range: "限时开放至1月15日"
			b.Lines = append(b.Lines, hall.SeasonText(sv.Until).In(lang))
			for len(b.LineColor) < len(b.Lines)-1 {
				b.LineColor = append(b.LineColor, nil)
			}
			b.LineColor = append(b.LineColor[:len(b.Lines)-1:len(b.Lines)-1], colNote)
		}
		btns = append(btns, b)
		u.live = append(u.live, func(s State) {
			v, ok := s.ServiceByCode(code)
			if !ok || !v.Takes() {
				return
			}
			line := T(s.Lang, "home.waiting", v.Waiting)
			switch {
			case !v.Open:
				line += "  ·  " + T(s.Lang, "home.closed")
			case v.Waiting > 0:
				line += "  ·  " + T(s.Lang, "home.eta", minutes(v.EtaSeconds))
			default:
				line += "  ·  " + T(s.Lang, "home.eta.none")
			}
			if b.Lines[0] != line {
				b.Lines[0] = line
				b.Refresh()
			}
		})
	}
	grid := newGrid(560, 3, btns...)
	req := u.btn("request", T(lang, "home.request"), colRequest, u.flow.StartRequest, T(lang, "home.request.sub"))
	req.TitleSize, req.MinHeight = sizeTitle, 150
	var bottom fyne.CanvasObject = req
	if u.flow.Bookings() {
		bk := u.btn("booking", T(lang, "home.booking"), colPriority, u.flow.OpenBooking, T(lang, "home.booking.sub"))
		bk.TitleSize, bk.MinHeight = sizeTitle, 150
		bottom = container.NewGridWithColumns(2, bk, req)
	}
	var top []fyne.CanvasObject
	if len(st.Notices) > 0 {
		top = append(top, u.noticeLine(st))
	}
	top = append(top, centred(T(lang, "home.pick"), sizeTitle, colText, true))
	if st.Notice != "" {
		top = append(top, para(T(lang, st.Notice), true, widget.WarningImportance))
	}
	if st.Printer.Failed() {
		// No QR code on this screen: the warning asks for none.
		top = append(top, para(T(lang, "home.printer", T(lang, printMsg(st.Printer.State))), false, widget.WarningImportance))
	}
	return container.NewBorder(container.NewVBox(top...), bottom, nil, nil, grid)
}

// noticeLine makes the home screen's rotating, scrolling notice line and starts its ticker
// (stopped when the screen is rebuilt).
func (u *UI) noticeLine(st State) fyne.CanvasObject {
	n := newNoticeLine(T(st.Lang, "home.notice"))
	texts := func(s State) []string {
		out := make([]string, 0, len(s.Notices))
		for _, x := range s.Notices {
			if t := x.Text.In(s.Lang); t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	n.Set(texts(st))
	u.live = append(u.live, func(s State) { n.Set(texts(s)) })
	u.notice = n
	go n.run(u.post, u.stop)
	return n.box
}

// printMsg is the catalogue entry of a printer state.
func printMsg(state string) Msg {
	switch state {
	case hall.DevicePaperOut:
		return "print.paper_out"
	case hall.DeviceCoverOpen:
		return "print.cover_open"
	case hall.DeviceOffline:
		return "print.offline"
	}
	return "print.error"
}

// serviceName returns the chosen service's name.
func serviceName(st State) string {
	if v, ok := st.ServiceByCode(st.Service); ok {
		return v.Code + "  " + v.Name.In(st.Lang)
	}
	return st.Service
}

// options offers the standard queue, the priority lane and the optional number.
func (u *UI) options(st State) fyne.CanvasObject {
	lang := st.Lang
	title := centred(serviceName(st), sizeTitle, colText, true)
	std := u.btn("take:standard", T(lang, "opt.standard"), colPrimary, func() { u.flow.TakeTicket(false) }, T(lang, "opt.standard.sub"))
	std.TitleSize, std.MinHeight = sizeHuge*0.7, 300
	pri := u.btn("take:priority", T(lang, "opt.priority"), colPriority, func() { u.flow.TakeTicket(true) }, T(lang, "opt.priority.sub"))
	pri.TitleSize, pri.MinHeight = sizeHuge*0.7, 300
	id := u.btn("keypad", T(lang, "opt.id"), colNeutral, func() { u.flow.OpenKeypad(false) })
	id.TitleSize, id.MinHeight = sizeBody, 110
	return container.NewBorder(title, container.NewPadded(id), nil, nil, container.NewPadded(newGrid(600, 2, std, pri)))
}

// keypad is the student/staff number pad.
func (u *UI) keypad(st State) fyne.CanvasObject {
	lang := st.Lang
	ok := u.btn("key:ok", T(lang, "keypad.ok"), colPriority, func() { u.flow.TakeTicket(st.Priority) })
	top := container.NewVBox(centred(serviceName(st), sizeLarge, colSubtle, true), centred(T(lang, "keypad.title"), sizeLarge, colText, true))
	return u.numPad(st, func(s State) string { return s.PersonID }, ok, top)
}

// phonePad is the keypad of the optional call-back number of a walk-in request.
func (u *UI) phonePad(st State) fyne.CanvasObject {
	lang := st.Lang
	ok := u.btn("phone:ok", T(lang, "req.phone.ok"), colPriority, u.flow.PhoneDone)
	top := container.NewVBox(centred(T(lang, "req.phone.title"), sizeLarge, colText, true),
		centred(T(lang, "req.phone.note"), sizeBody, colSubtle, false))
	if st.Notice != "" {
		top.Add(centred(T(lang, st.Notice), sizeBody, colWarning, true))
	}
	return u.numPad(st, func(s State) string { return s.Phone }, ok, top)
}

// numPad lays out a digit keypad (keys "key:0"…"key:9", "key:clear", "key:del", sent to
// Flow.KeypadKey) with the value typed so far, its confirm button and the titles above.
func (u *UI) numPad(st State, value func(State) string, ok *Button, top fyne.CanvasObject) fyne.CanvasObject {
	lang := st.Lang
	shown := value(st)
	if shown == "" {
		shown = "—"
	}
	entry := centred(shown, sizeHuge, colNumber, true)
	u.live = append(u.live, func(s State) {
		v := value(s)
		if v == "" {
			v = "—"
		}
		if entry.Text != v {
			entry.Text = v
			entry.Refresh()
		}
	})
	keys := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "del"}
	var pad []fyne.CanvasObject
	for _, k := range keys {
		k := k
		label := k
		fill := color.Color(colNeutral)
		switch k {
		case "clear":
			label = T(lang, "keypad.clear")
		case "del":
			label = T(lang, "keypad.del")
		default:
			fill = colPrimary
		}
		b := u.btn("key:"+k, label, fill, func() { u.flow.KeypadKey(k) })
		b.TitleSize, b.MinHeight = sizeTitle, 110
		pad = append(pad, b)
	}
	ok.TitleSize, ok.MinHeight = sizeTitle, 150
	// Landscape: the number and the confirm button beside the keys (stacked, the four key rows
	// and the button did not fit under the titles on a 1080-high screen); portrait: above them.
	left := newVCentre(container.NewVBox(entry, ok))
	right := newVCentre(container.NewGridWithColumns(3, pad...))
	return container.NewBorder(top, nil, nil, nil, newAspectSplit(left, right))
}

// qrImage renders a URL as a QR code image of size×size pixels on white.
func qrImage(url string, size float32) fyne.CanvasObject {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return layout.NewSpacer()
	}
	var img image.Image = q.Image(512)
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.ScaleMode = canvas.ImageScalePixels
	ci.SetMinSize(fyne.NewSize(size, size))
	return ci
}

// printLine says what the printer did with the ticket or receipt.
func printLine(lang string, printing, printed bool, fault string, failed Msg) fyne.CanvasObject {
	switch {
	case printing:
		return centred("…", sizeLarge, colSubtle, false)
	case printed:
		return centred(T(lang, "result.printed"), sizeLarge, colText, true)
	case fault != "":
		// Body size: on a 1366×768 screen the large size pushed the code off the screen.
		return para(T(lang, failed, T(lang, printMsg(fault)))+" "+T(lang, "print.staff"), false, widget.WarningImportance)
	}
	return layout.NewSpacer()
}

// result shows the issued ticket; a touch anywhere finishes.
func (u *UI) result(st State) fyne.CanvasObject {
	lang := st.Lang
	t := st.Ticket
	if t == nil {
		return layout.NewSpacer()
	}
	failed := !t.Printing && !t.Printed
	// Not printed: the QR code takes more room, so the texts are smaller (the number still
	// 150 px) and fit a 1366×768 screen.
	titleSize, numSize, aheadSize := float32(sizeLarge), float32(sizeNumber), float32(sizeTitle)
	if failed {
		titleSize, numSize, aheadSize = sizeBody, 150, sizeLarge
	}
	left := []fyne.CanvasObject{
		centred(T(lang, "result.title")+" · "+t.Service.In(lang), titleSize, colSubtle, true),
		centred(t.Number, numSize, colNumber, true),
	}
	if t.Priority {
		left = append(left, centred(T(lang, "result.priority"), sizeLarge, colPriority, true))
	}
	if t.Booked != nil {
		left = append(left, centred(T(lang, "appt.mark", t.Booked.In(st.Loc).Format("15:04")), sizeLarge, colPriority, true))
	}
	switch {
	case t.Closed:
		if t.Ahead > 0 {
			left = append(left, centred(T(lang, "result.ahead", t.Ahead), aheadSize, colText, true))
		}
		closed := T(lang, "result.closed")
		if n := t.ClosedNote.In(lang); n != "" {
			closed += T(lang, "sentence.sep") + n
		}
		left = append(left, para(closed, false, widget.WarningImportance))
	case t.Ahead > 0 && failed:
		left = append(left, centred(T(lang, "result.ahead", t.Ahead)+"  ·  "+T(lang, "home.eta", minutes(t.EtaSeconds)), aheadSize, colText, true))
	case t.Ahead > 0:
		left = append(left, centred(T(lang, "result.ahead", t.Ahead), aheadSize, colText, true))
		left = append(left, centred(T(lang, "result.eta", minutes(t.EtaSeconds)), sizeLarge, colText, false))
	default:
		left = append(left, centred(T(lang, "result.ahead.none"), aheadSize, colText, true))
	}
	left = append(left, printLine(lang, t.Printing, t.Printed, t.PrintFault, "print.failed"))
	if len(t.Materials) > 0 && !failed {
		left = append(left, centred(T(lang, "result.materials"), sizeBody, colSubtle, true))
		for i, m := range t.Materials {
			left = append(left, centred(fmt.Sprintf("%d. %s", i+1, m.In(lang)), sizeBody, colText, false))
		}
	}
	qrMax := float32(360)
	if failed {
		qrMax = 560 // the person photographs or scans it from the screen
	}
	return u.withQR(lang, left, t.FollowURL, qrMax, centred(T(lang, "result.scan"), sizeBody, colText, false))
}

// minQR is the smallest a QR code is drawn on screen (still scanned from arm's length).
const minQR = 300

// withQR lays out a result screen: the texts beside (landscape) or above (portrait) the QR code
// of url, drawn as large as the room allows up to qrMax, with its caption; touching anywhere
// finishes. Without a url the texts stand alone.
func (u *UI) withQR(lang string, left []fyne.CanvasObject, url string, qrMax float32, caption fyne.CanvasObject) fyne.CanvasObject {
	text := newVCentre(container.NewVBox(left...))
	var main fyne.CanvasObject = text
	if url != "" {
		main = newQRSplit(qrMax, text, qrImage(url, minQR), caption)
	}
	body := container.NewBorder(nil, centred(T(lang, "result.touch"), sizeBody, colSubtle, false), nil, nil, main)
	return newTapArea(body, u.flow.Finish)
}

// kinds offers consultation, complaint, suggestion.
func (u *UI) kinds(st State) fyne.CanvasObject {
	lang := st.Lang
	var btns []fyne.CanvasObject
	for _, k := range Kinds() {
		k := k
		b := u.btn("kind:"+k, T(lang, Msg("kind."+k)), colRequest, func() { u.flow.ChooseKind(k) }, T(lang, Msg("kind."+k+".sub")))
		b.TitleSize, b.MinHeight = sizeHuge*0.75, 260
		btns = append(btns, b)
	}
	return container.NewBorder(centred(T(lang, "req.kind.title"), sizeTitle, colText, true), nil, nil, nil,
		newGrid(560, 3, btns...))
}

// topics offers the catalogue's topics.
func (u *UI) topics(st State) fyne.CanvasObject {
	lang := st.Lang
	var btns []fyne.CanvasObject
	for _, tp := range st.Topics {
		code := tp.Code
		b := u.btn("topic:"+code, tp.Name.In(lang), colRequest, func() { u.flow.ChooseTopic(code) })
		b.TitleSize, b.MinHeight = sizeLarge, 130
		btns = append(btns, b)
	}
	title := T(lang, Msg("kind."+st.Kind)) + " · " + T(lang, "req.topic.title")
	return container.NewBorder(centred(title, sizeTitle, colText, true), nil, nil, nil, newGrid(400, 4, btns...))
}

// topicName returns the chosen topic's name.
func topicName(st State) string {
	for _, t := range st.Topics {
		if t.Code == st.Topic {
			return t.Name.In(st.Lang)
		}
	}
	return st.Topic
}

// confirm asks to submit, with or without a ticket.
func (u *UI) confirm(st State) fyne.CanvasObject {
	lang := st.Lang
	sum := centred(T(lang, "req.confirm.body", T(lang, Msg("kind."+st.Kind)), topicName(st)), sizeHuge*0.6, colNumber, true)
	sub := u.btn("submit", T(lang, "req.submit"), colPrimary, func() { u.flow.SubmitRequest(false) }, T(lang, "req.submit.sub"))
	sub.TitleSize, sub.MinHeight = sizeHuge*0.7, 260
	btns := []fyne.CanvasObject{sub}
	if st.RequestTicket {
		wt := u.btn("submit:ticket", T(lang, "req.submit.ticket"), colPriority, func() { u.flow.SubmitRequest(true) }, T(lang, "req.submit.ticket.sub"))
		wt.TitleSize, wt.MinHeight = sizeHuge*0.7, 260
		btns = append(btns, wt)
	}
	// The optional call-back number: no Chinese keyboard needed, the department may call back.
	phone := u.btn("phone", T(lang, "req.phone"), colNeutral, u.flow.OpenPhone, T(lang, "req.phone.sub"))
	if st.Phone != "" {
		phone.Title = T(lang, "req.phone.set", st.Phone)
	}
	phone.TitleSize, phone.MinHeight = sizeBody, 130
	return container.NewBorder(container.NewVBox(centred(T(lang, "req.confirm.title"), sizeTitle, colText, true), sum), container.NewPadded(phone), nil, nil,
		newFitGrid(600, 2, btns...))
}

// receipt shows the logged request; a touch anywhere finishes.
func (u *UI) receipt(st State) fyne.CanvasObject {
	lang := st.Lang
	r := st.Request
	if r == nil {
		return layout.NewSpacer()
	}
	var left []fyne.CanvasObject
	var qrURL string
	var caption fyne.CanvasObject = layout.NewSpacer()
	qrMax := float32(360)
	if !r.Printing && !r.Printed {
		qrMax = 520
	}
	if r.Case != nil {
		left = append(left,
			centred(T(lang, "req.done.title"), sizeHuge, colText, true),
			centred(T(lang, "req.done.number", r.Case.Number), sizeTitle, colNumber, true),
			centred(T(lang, Msg("kind."+r.Kind))+" · "+r.Topic.Name.In(lang), sizeLarge, colText, false),
			para(T(lang, "req.done.scan"), true, widget.MediumImportance),
			// One line of its own: wrapped inside a paragraph, "24 小时" broke across lines.
			centred(T(lang, "req.done.promise"), sizeLarge, colText, true))
		if !r.Case.DueAt.IsZero() {
			left = append(left, centred(T(lang, "req.done.due", r.Case.DueAt.In(st.Loc).Format(timeLayout)), sizeBody, colSubtle, false))
		}
		qrURL = r.Case.FollowURL
	} else if r.NotKept {
		left = append(left,
			centred(T(lang, "req.unsaved.title"), sizeHuge, colWarning, true),
			centred(T(lang, Msg("kind."+r.Kind))+" · "+r.Topic.Name.In(lang), sizeLarge, colText, false),
			para(T(lang, "req.unsaved.body"), true, widget.MediumImportance),
			para(T(lang, "req.unsaved.counter"), true, widget.WarningImportance))
	} else {
		left = append(left,
			centred(T(lang, "req.queued.title"), sizeHuge, colText, true),
			centred(T(lang, Msg("kind."+r.Kind))+" · "+r.Topic.Name.In(lang), sizeLarge, colText, false),
			para(T(lang, "req.queued.body"), true, widget.MediumImportance),
			para(T(lang, "req.queued.ref", r.Reference), true, widget.WarningImportance))
		if r.FollowURL != "" {
			qrURL, caption = r.FollowURL, para(T(lang, "req.queued.scan"), false, widget.MediumImportance)
		}
	}
	if r.Ticket != nil {
		left = append(left, centred(T(lang, "req.ticket", r.Ticket.Number), sizeTitle, colNumber, true))
		if r.Case != nil {
			// Two slips, two codes: the one on screen is the case's; say where the other is.
			left = append(left, centred(T(lang, "req.done.qr.ticket"), sizeBody, colSubtle, false))
		} else {
			qrURL, caption = r.Ticket.FollowURL, centred(T(lang, "result.scan"), sizeBody, colText, false)
		}
	}
	if r.Case != nil || r.Ticket != nil || r.Queued {
		left = append(left, printLine(lang, r.Printing, r.Printed, r.PrintFault, "print.failed.receipt"))
	}
	return u.withQR(lang, left, qrURL, qrMax, caption)
}

// outOfService says the kiosk cannot issue numbers and where to go instead.
func (u *UI) outOfService(st State) fyne.CanvasObject {
	lang := st.Lang
	objs := []fyne.CanvasObject{centred(T(lang, "oos.title"), sizeHuge, colNumber, true)}
	if st.Connecting {
		objs = append(objs, centred(T(lang, "oos.connecting"), sizeTitle, colText, true))
	} else {
		objs = append(objs, para(T(lang, "oos.body"), true, widget.MediumImportance))
	}
	if hint := st.OOSHint.In(lang); hint != "" {
		objs = append(objs, para(hint, true, widget.WarningImportance))
	}
	objs = append(objs, centred(T(lang, "oos.retry"), sizeBody, colSubtle, false))
	req := u.btn("request", T(lang, "home.request"), colRequest, u.flow.StartRequest, T(lang, "oos.request"))
	req.TitleSize, req.MinHeight = sizeTitle, 150
	return container.NewBorder(nil, req, nil, nil, newVCentre(container.NewVBox(objs...)))
}

// pin is the staff exit PIN pad.
func (u *UI) pin(st State) fyne.CanvasObject {
	lang := st.Lang
	dots := centred(strings.Repeat("●", st.PINDigits)+" ", sizeHuge, colNumber, true)
	u.live = append(u.live, func(s State) {
		v := strings.Repeat("●", s.PINDigits) + " "
		if dots.Text != v {
			dots.Text = v
			dots.Refresh()
		}
	})
	var pad []fyne.CanvasObject
	for _, k := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"} {
		k := k
		label := k
		fill := color.Color(colNeutral)
		switch k {
		case "del":
			label = T(lang, "keypad.del")
		case "ok":
			label, fill = T(lang, "pin.exit"), colPriority
		}
		b := u.btn("pin:"+k, label, fill, func() { u.flow.PINKey(k) })
		b.TitleSize, b.MinHeight = sizeTitle, 110
		pad = append(pad, b)
	}
	objs := []fyne.CanvasObject{centred(T(lang, "pin.title"), sizeTitle, colText, true), dots}
	if st.Notice != "" {
		objs = append(objs, centred(T(lang, st.Notice), sizeLarge, colWarning, true))
	}
	objs = append(objs, container.NewCenter(container.NewGridWrap(fyne.NewSize(600, 500), container.NewGridWithColumns(3, pad...))))
	return container.NewVBox(objs...)
}
