// Command kiosk runs OneDoor's self-service kiosk full screen: it issues queue numbers, prints
// them on an ESC/POS printer, and logs walk-in requests into the case system.
//
//	kiosk -server http://127.0.0.1:8080 -hall students -token demo-kiosk-students \
//	      -printer tcp:127.0.0.1:9100 -profile 80mm -outbox data/kiosk-outbox.db -pin 2468
//
// Every flag can also be set by an environment variable: ONEDOOR_KIOSK_SERVER, _HALL, _TOKEN,
// _PRINTER, _PROFILE, _OUTBOX, _PIN, _LANG_DEFAULT, _TOPICS, _TZ, _WINDOWED=1. The printer is
// tcp:HOST:PORT, serial:DEV?baud=N, file:PATH, sim:DIR (a virtual printer in the process that
// writes each ticket as DIR/page-NNNN.png) or none. Staff leave kiosk mode by holding the
// top-left corner for 3 seconds and entering the PIN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without the tzdata package

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"onedoor/drivers/escpos"
	"onedoor/drivers/printer"
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

// config is the parsed and checked command line.
type config struct {
	server, publicURL, hall, token, printer, profile, outbox, pin, lang, topics, tz string
	windowed                                                                        bool
	// demoScript steps through the screens for screenshots (development; see demo.go).
	demoScript bool
	// demoSettle is how long the demo script lets the window draw a screen before announcing it.
	demoSettle time.Duration
}

// envPrefix starts the environment variables that set the flags.
const envPrefix = "ONEDOOR_KIOSK_"

// flagEnv maps each flag to its environment variable (without the prefix).
var flagEnv = map[string]string{
	"server": "SERVER", "public-url": "PUBLIC_URL", "hall": "HALL", "token": "TOKEN", "printer": "PRINTER", "profile": "PROFILE",
	"outbox": "OUTBOX", "pin": "PIN", "lang": "LANG_DEFAULT", "topics": "TOPICS", "tz": "TZ",
	"windowed": "WINDOWED", "demo-script": "DEMO_SCRIPT",
}

// parseFlags reads the flags, with defaults from the environment, and checks the values: a
// bad one gives an error naming the flag and its variable.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(flagName, def string) string {
		if v := getenv(envPrefix + flagEnv[flagName]); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.server, "server", env("server", "http://127.0.0.1:8080"), "hall server URL, or several servers on one etcd cluster separated by commas (http://a:8080,http://b:8080): the kiosk moves to the next when one fails (docs/HA.md)")
	fs.StringVar(&c.publicURL, "public-url", env("public-url", ""), "the hall server's public URL (its -public-url), where phones follow a request saved while the server was away; empty: the -server URL until the server's answers show it")
	fs.StringVar(&c.hall, "hall", env("hall", "students"), "hall code")
	fs.StringVar(&c.token, "token", env("token", ""), "kiosk device token (hallctl device add -role kiosk)")
	fs.StringVar(&c.printer, "printer", env("printer", "tcp:127.0.0.1:9100"), "printer: tcp:HOST:PORT, serial:/dev/ttyUSB0?baud=19200, file:/dev/usb/lp0?status=1, sim:DIR (virtual printer writing PNGs to DIR), or none")
	fs.StringVar(&c.profile, "profile", env("profile", "80mm"), "printer profile ("+strings.Join(escpos.ProfileNames(), ", ")+")")
	fs.StringVar(&c.outbox, "outbox", env("outbox", "data/kiosk-outbox.db"), "bbolt file keeping walk-in requests until the case system has them")
	fs.StringVar(&c.pin, "pin", env("pin", ""), "staff exit PIN (long press in the top-left corner); empty disables staff exit")
	fs.StringVar(&c.lang, "lang", env("lang", "zh"), "default language: zh or en")
	fs.StringVar(&c.topics, "topics", env("topics", ""), "JSON file with the request topics (default: the embedded catalogue)")
	fs.StringVar(&c.tz, "tz", env("tz", hall.DefaultTimeZone), "the hall's time zone")
	fs.BoolVar(&c.windowed, "windowed", env("windowed", "") == "1", "run in a window instead of full screen (development)")
	fs.BoolVar(&c.demoScript, "demo-script", env("demo-script", "") == "1", "development: step through home, ticket and request screens in both languages for screenshots, printing \"DEMO-STEP name\" and waiting for a line on stdin before each step; quits at the end")
	fs.DurationVar(&c.demoSettle, "demo-settle", time.Second, "development: with -demo-script, how long each screen is given to draw before it is announced (more on a loaded machine)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, c.check()
}

// flagError names the flag, its environment variable and the value that is wrong.
func flagError(name, value string, err error) error {
	return fmt.Errorf("-%s %q (or %s%s): %w", name, value, envPrefix, flagEnv[name], err)
}

// check validates the configuration before anything is opened.
func (c *config) check() error {
	if c.token == "" {
		return fmt.Errorf("no device token: pass -token (or %sTOKEN; demo: demo-kiosk-<hall>)", envPrefix)
	}
	servers := strings.Split(c.server, ",")
	for _, s := range servers {
		if u, err := url.Parse(strings.TrimSpace(s)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return flagError("server", c.server, errors.New("want a URL such as http://127.0.0.1:8080 or https://hall.example.edu.cn, or several separated by commas"))
		}
	}
	if c.publicURL == "" {
		c.publicURL = strings.TrimSpace(servers[0])
	} else if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return flagError("public-url", c.publicURL, errors.New("want a URL such as https://hall.example.edu.cn"))
	}
	if c.hall == "" {
		return flagError("hall", c.hall, errors.New("empty hall code"))
	}
	if _, err := escpos.LookupProfile(c.profile); err != nil {
		return flagError("profile", c.profile, err)
	}
	switch {
	case c.printer == "none" || c.printer == "":
		c.printer = "none"
	case printer.IsSimSpec(c.printer):
		if _, err := printer.ParseSimSpec(c.printer); err != nil {
			return flagError("printer", c.printer, err)
		}
	default:
		if _, err := printer.ParseSpec(c.printer); err != nil {
			return flagError("printer", c.printer, fmt.Errorf("%w; the kiosk also takes sim:DIR and none", err))
		}
	}
	if c.lang != "zh" && c.lang != "en" {
		return flagError("lang", c.lang, errors.New("want zh or en"))
	}
	if _, err := time.LoadLocation(c.tz); err != nil {
		return flagError("tz", c.tz, err)
	}
	if c.outbox == "" {
		return flagError("outbox", c.outbox, errors.New("the outbox needs a file"))
	}
	return nil
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
			return flagError("topics", c.topics, err)
		}
		if cat, err = kiosk.ParseCatalogue(b); err != nil {
			return flagError("topics", c.topics, err)
		}
	}
	loc, err := time.LoadLocation(c.tz)
	if err != nil {
		return flagError("tz", c.tz, err)
	}
	var prn kiosk.Printer = kiosk.NoPrinter{}
	if c.printer != "none" {
		dp, err := kiosk.NewDriverPrinter(c.printer, c.profile)
		if err != nil {
			return flagError("printer", c.printer, err)
		}
		defer dp.Close()
		prn = dp
	}
	if dir := filepath.Dir(c.outbox); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	ob, err := kiosk.OpenSpool(c.outbox)
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
		Hall: c.hall, Server: cl, Printer: prn, Spool: ob, Reporter: kiosk.ClientReporter(cl),
		Version:   client.Version(),
		Cases:     kiosk.ClientCases(cl),
		Catalogue: cat, PIN: c.pin, Lang: c.lang, Loc: loc, Log: log, PublicURL: c.publicURL,
		OnExit: func() { fyne.Do(a.Quit) },
	})
	ui := kiosk.NewUI(flow, fyne.Do)
	w.SetContent(ui.Content())
	// A keyboard-wedge QR scanner types a booking's URL and Enter (预约 check-in).
	kiosk.NewWedge(flow).Attach(w.Canvas())
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
	if c.demoScript {
		go func() {
			if err := demoScript(ctx, flow, os.Stdin, os.Stdout, c.demoSettle); err != nil {
				log.Error("demo script", "err", err)
			}
			fyne.Do(a.Quit)
		}()
	}
	log.Info("kiosk starting", "server", c.server, "hall", c.hall, "printer", c.printer, "profile", c.profile, "outbox", c.outbox)
	w.ShowAndRun()
	stop()
	<-done
	return nil
}
