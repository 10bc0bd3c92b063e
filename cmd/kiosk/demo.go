package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"onedoor/kiosk"
)

// demoScript drives the flow through the screens a screenshot set needs (-demo-script): for
// each language the home screen, the options, the ticket result, and the walk-in request's
// kind, topic, confirmation and receipt. It makes the same calls the buttons make. When a
// screen is up (its state reached, then settle for the window to draw it) it writes
// "DEMO-STEP name" to out and waits for a line on in: the capturing script answers once it
// has the picture. It returns at the end, or with an error when a screen does not come.
func demoScript(ctx context.Context, f *kiosk.Flow, in io.Reader, out io.Writer, settle time.Duration) error {
	lines := bufio.NewScanner(in)
	wait := func(what string, cond func(kiosk.State) bool) error {
		deadline := time.Now().Add(90 * time.Second)
		for !cond(f.State()) {
			if time.Now().After(deadline) {
				st := f.State()
				return fmt.Errorf("demo script: no %s (screen %s, online %v)", what, st.Screen, st.Online)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		return nil
	}
	shot := func(name string) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settle):
		}
		if _, err := fmt.Fprintf(out, "DEMO-STEP %s\n", name); err != nil {
			return err
		}
		if !lines.Scan() {
			if err := lines.Err(); err != nil {
				return err
			}
			return errors.New("demo script: stdin closed")
		}
		return nil
	}
	screen := func(s kiosk.Screen) func(kiosk.State) bool {
		return func(st kiosk.State) bool { return st.Screen == s }
	}
	type step struct {
		name string                 // screenshot name without the language ("" no screenshot)
		do   func()                 // the touch
		cond func(kiosk.State) bool // the screen it leads to
	}
	if err := wait("home screen with services", func(st kiosk.State) bool {
		return st.Screen == kiosk.ScreenHome && len(st.Services) > 0
	}); err != nil {
		return err
	}
	services := f.State().Services
	topics := f.State().Topics
	for i, lang := range []string{"zh", "en"} {
		svc := services[i%len(services)].Code
		topic := topics[(3*i)%len(topics)].Code
		steps := []step{
			{"home", func() { f.SetLang(lang) }, func(st kiosk.State) bool { return st.Screen == kiosk.ScreenHome && st.Lang == lang }},
			{"options", func() { f.ChooseService(svc) }, screen(kiosk.ScreenOptions)},
			{"result", func() { f.TakeTicket(false) }, func(st kiosk.State) bool {
				return st.Screen == kiosk.ScreenResult && st.Ticket != nil && !st.Ticket.Printing
			}},
			{"", f.Finish, screen(kiosk.ScreenHome)},
			{"", func() { f.SetLang(lang) }, func(st kiosk.State) bool { return st.Lang == lang }},
			{"request-kind", f.StartRequest, screen(kiosk.ScreenKind)},
			{"request-topic", func() { f.ChooseKind(kiosk.KindComplaint) }, screen(kiosk.ScreenTopic)},
			{"request-confirm", func() { f.ChooseTopic(topic) }, screen(kiosk.ScreenConfirm)},
			{"request-receipt", func() { f.SubmitRequest(false) }, func(st kiosk.State) bool {
				return st.Screen == kiosk.ScreenReceipt && st.Request != nil && !st.Request.Printing
			}},
			{"", f.Finish, screen(kiosk.ScreenHome)},
		}
		for _, s := range steps {
			s.do()
			what := s.name
			if what == "" {
				what = "next screen"
			}
			if err := wait(what+" ("+lang+")", s.cond); err != nil {
				return err
			}
			if s.name != "" {
				if err := shot(s.name + "-" + lang); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
