// Command display is OneDoor's hall display: a full-screen Fyne window that shows a hall's calls,
// queues and notices live from the hall server's stream, and reads each call out (chime, Mandarin,
// English) with espeak-ng through a player command.
//
//	display -server http://127.0.0.1:8080 -hall students -token demo-display-students
//	display -portrait -voice off           # a portrait screen, silent
//	display -player "paplay"               # PulseAudio instead of ALSA's aplay
//
// Flags may also come from the environment: ONEDOOR_SERVER, ONEDOOR_HALL, ONEDOOR_TOKEN.
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
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without the tzdata package

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"onedoor/display"
	"onedoor/display/voice"
	"onedoor/hallserver/client"
	"onedoor/internal/profiling"
	"onedoor/ui/theme"
)

// config is the command line.
type config struct {
	server, hall, token string
	portrait, windowed  bool
	voice               string
	player              string
	tz                  string
	loc                 *time.Location
	pprof               string
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("display", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.server, "server", env("ONEDOOR_SERVER", "http://127.0.0.1:8080"), "hall server URL, or several servers on one etcd cluster separated by commas (http://a:8080,http://b:8080): the display moves to the next when one fails and resumes by seq (docs/HA.md)")
	fs.StringVar(&c.hall, "hall", env("ONEDOOR_HALL", "students"), "hall code")
	fs.StringVar(&c.token, "token", env("ONEDOOR_TOKEN", ""), "display device token (demo: demo-display-<hall>)")
	fs.BoolVar(&c.portrait, "portrait", false, "portrait layout (1080x1920 screen)")
	fs.BoolVar(&c.windowed, "windowed", false, "a window instead of full screen (for trying it out)")
	fs.StringVar(&c.voice, "voice", "on", "announce calls aloud: on or off")
	fs.StringVar(&c.player, "player", "aplay -q", "command that plays a WAV from its standard input (e.g. \"aplay -q\", \"paplay\")")
	fs.StringVar(&c.tz, "tz", env("ONEDOOR_TZ", "Asia/Shanghai"), "the campus time zone of the clock (IANA name; not the machine's zone)")
	fs.StringVar(&c.pprof, "pprof", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6061; empty: off)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, srv := range strings.Split(c.server, ",") {
		if u, err := url.Parse(strings.TrimSpace(srv)); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("-server %q: want a URL such as http://127.0.0.1:8080, or several separated by commas", c.server)
		}
	}
	loc, err := time.LoadLocation(c.tz)
	if err != nil || c.tz == "" || c.tz == "Local" {
		return c, fmt.Errorf("-tz must name a time zone such as Asia/Shanghai, not %q", c.tz)
	}
	c.loc = loc
	if c.pprof != "" {
		if err := profiling.Loopback(c.pprof); err != nil {
			return c, fmt.Errorf("-pprof: %w", err)
		}
	}
	if c.voice != "on" && c.voice != "off" {
		return c, fmt.Errorf("-voice must be on or off, not %q", c.voice)
	}
	if c.hall == "" {
		return c, errors.New("-hall is required")
	}
	return c, nil
}

// speaker returns the voice queue, or nil with the reason when the display stays silent.
func speaker(c config, log *slog.Logger) *voice.Queue {
	if c.voice == "off" {
		return nil
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		log.Warn("voice off: espeak-ng not found (Debian package espeak-ng)")
		return nil
	}
	player := voice.PlayerCommand(c.player)
	if len(player) == 0 {
		log.Warn("voice off: no player command")
		return nil
	}
	if _, err := exec.LookPath(player[0]); err != nil {
		log.Warn("voice off: player not found", "player", player[0])
		return nil
	}
	return voice.NewQueue(&voice.Espeak{Player: player}, &voice.QueueOptions{
		OnError: func(a voice.Announcement, err error) { log.Warn("announcement failed", "number", a.Number, "err", err) },
	})
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "display:", err)
		os.Exit(2)
	}
	if err := run(c, log); err != nil {
		fmt.Fprintln(os.Stderr, "display:", err)
		os.Exit(1)
	}
}

func run(c config, log *slog.Logger) error {
	th, err := theme.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.pprof != "" {
		_, stopPprof, err := profiling.Serve(c.pprof, 0, log)
		if err != nil {
			return fmt.Errorf("-pprof: %w", err)
		}
		defer stopPprof()
	}

	tuneMalloc()
	go func() {
		// Fyne frees a text texture a minute after its last use: give the memory back then,
		// the C heap's and the Go heap's (a collection of ~100 MB of font tables, once a minute).
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				debug.FreeOSMemory()
				trimMalloc()
			}
		}
	}()

	a := app.NewWithID("cn.edu.onedoor.display")
	a.Settings().SetTheme(display.Theme(th))
	w := a.NewWindow("OneDoor · " + c.hall)
	ui := display.NewUI(ctx, c.portrait)
	w.SetContent(ui.Object())
	w.SetPadded(false)
	if c.portrait {
		w.Resize(fyne.NewSize(1080, 1920))
	} else {
		w.Resize(fyne.NewSize(1920, 1080))
	}
	if !c.windowed {
		w.SetFullScreen(true)
	}

	q := speaker(c, log)
	if q != nil {
		go func() { _ = q.Run(ctx) }()
	}
	ctrl := display.NewController(display.Config{
		Client: client.New(c.server, c.token), Hall: c.hall, Location: c.loc, Voice: q, UI: ui,
		Stream: client.StreamOptions{MaxBackoff: 5 * time.Second}, Version: client.Version(),
	})
	go func() {
		err := ctrl.Run(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("stream stopped", "err", err)
		}
		fyne.Do(a.Quit)
	}()
	log.Info("display started", "server", c.server, "hall", c.hall, "portrait", c.portrait, "voice", q != nil)
	w.ShowAndRun()
	return nil
}
