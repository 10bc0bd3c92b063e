// Command kiosk runs OneDoor's self-service kiosk full screen: it issues queue numbers, prints
// them on an ESC/POS printer, and logs walk-in requests into the case system.
//
//	kiosk -server http://127.0.0.1:8080 -hall students -token demo-kiosk-students \
//	      -printer tcp:127.0.0.1:9100 -profile 80mm -outbox data/kiosk-outbox.db -pin 2468
//
// Every flag can also be set by an environment variable: ONEDOOR_KIOSK_SERVER, _HALL, _TOKEN,
// _PRINTER, _PROFILE, _OUTBOX, _PIN, _LANG, _TOPICS, _WINDOWED=1. Staff leave kiosk mode by
// holding the top-left corner for 3 seconds and entering the PIN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without the tzdata package

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/kiosk"
	uitheme "onedoor/ui/theme"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	server, hall, token, printer, profile, outbox, pin, lang, topics, tz string
	windowed                                                             bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(k, def string) string {
		if v := getenv("ONEDOOR_KIOSK_" + k); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.server, "server", env("SERVER", "http://127.0.0.1:8080"), "hall server URL")
	fs.StringVar(&c.hall, "hall", env("HALL", "students"), "hall code")
	fs.StringVar(&c.token, "token", env("TOKEN", ""), "kiosk device token (hallctl device add -role kiosk)")
	fs.StringVar(&c.printer, "printer", env("PRINTER", "tcp:127.0.0.1:9100"), "printer: tcp:HOST:PORT, serial:/dev/ttyUSB0?baud=19200, file:/dev/usb/lp0?status=1, or none")
	fs.StringVar(&c.profile, "profile", env("PROFILE", "80mm"), "printer profile (80mm, 58mm, 80mm-raster, epson-tm-t88…)")
	fs.StringVar(&c.outbox, "outbox", env("OUTBOX", "data/kiosk-outbox.db"), "bbolt file keeping walk-in requests until the case system has them")
	fs.StringVar(&c.pin, "pin", env("PIN", ""), "staff exit PIN (long press in the top-left corner); empty disables staff exit")
	fs.StringVar(&c.lang, "lang", env("LANG_DEFAULT", "zh"), "default language: zh or en")
	fs.StringVar(&c.topics, "topics", env("TOPICS", ""), "JSON file with the request topics (default: the embedded catalogue)")
	fs.StringVar(&c.tz, "tz", env("TZ", hall.DefaultTimeZone), "the hall's time zone")
	fs.BoolVar(&c.windowed, "windowed", env("WINDOWED", "") == "1", "run in a window instead of full screen (development)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.token == "" {
		return c, errors.New("no device token: pass -token (demo: demo-kiosk-<hall>)")
	}
	return c, nil
}

func run(args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// The font first: without a Simplified Chinese face the kiosk is unreadable. The error names
	// the Debian package to install.
	th, err := uitheme.Load()
	if err != nil {
		return fmt.Errorf("%w\n(the kiosk needs a Simplified Chinese font: apt-get install fonts-noto-cjk)", err)
	}
	cat := kiosk.DefaultCatalogue()
	if c.topics != "" {
		b, err := os.ReadFile(c.topics)
		if err != nil {
			return err
		}
		if cat, err = kiosk.ParseCatalogue(b); err != nil {
			return err
		}
	}
	loc, err := time.LoadLocation(c.tz)
	if err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	var prn kiosk.Printer = kiosk.NoPrinter{}
	if c.printer != "none" && c.printer != "" {
		dp, err := kiosk.NewDriverPrinter(c.printer, c.profile)
		if err != nil {
			return fmt.Errorf("printer: %w", err)
		}
		defer dp.Close()
		prn = dp
	}
	if dir := filepath.Dir(c.outbox); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	ob, err := kiosk.OpenOutbox(c.outbox)
	if err != nil {
		return err
	}
	defer ob.Close()

	cl := client.New(c.server, c.token)
	cl.HTTP.Timeout = 10 * time.Second
	a := app.NewWithID("cn.edu.onedoor.kiosk")
	a.Settings().SetTheme(kiosk.NewTheme(th))
	w := a.NewWindow("OneDoor kiosk")
	flow := kiosk.NewFlow(kiosk.Config{
		Hall: c.hall, Server: cl, Printer: prn, Outbox: ob, Reporter: kiosk.ClientReporter(cl),
		Cases:     &kiosk.HTTPCases{BaseURL: c.server, Token: c.token, HTTP: cl.HTTP},
		Catalogue: cat, PIN: c.pin, Lang: c.lang, Loc: loc, Log: log,
		OnExit: func() { fyne.Do(a.Quit) },
	})
	ui := kiosk.NewUI(flow, fyne.Do)
	w.SetContent(ui.Content())
	// Nothing a person can touch closes the window: the close button and Alt+F4 are ignored.
	w.SetCloseIntercept(func() { log.Info("window close ignored (staff exit: long press top-left + PIN)") })
	if c.windowed {
		w.Resize(fyne.NewSize(1280, 720))
	} else {
		w.SetFullScreen(true)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		kiosk.Run(ctx, flow, cl, kiosk.RunOptions{})
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	log.Info("kiosk starting", "server", c.server, "hall", c.hall, "printer", c.printer, "profile", c.profile, "outbox", c.outbox)
	w.ShowAndRun()
	stop()
	<-done
	return nil
}
