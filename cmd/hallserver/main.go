// Command hallserver runs OneDoor's hall server: the JSON API, the WebSocket stream, the embedded
// web pages and the bbolt store, in one pure-Go binary.
//
//	hallserver -demo                      # the demo campus, demo accounts, ./data/onedoor.db
//	hallserver -campus campus.yaml        # a real campus; accounts made with hallctl
//	hallserver -demo -catalogue cat.yaml  # another dispatch catalogue for the case system
//	hallserver -demo -webhook https://platform.example.edu/onedoor   # case events to a webhook
//
// Every flag can also be set by an environment variable: ONEDOOR_ADDR, ONEDOOR_DATA,
// ONEDOOR_CAMPUS, ONEDOOR_CATALOGUE, ONEDOOR_PUBLIC_URL, ONEDOOR_DEMO=1, ONEDOOR_WEBHOOK,
// ONEDOOR_WEBHOOK_SECRET (prefer the variable to the flag: flags show in ps),
// ONEDOOR_WEBHOOK_FROM, ONEDOOR_OPEN311_KEYS.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without the tzdata package

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/outbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hallserver:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	demo      bool
	addr      string
	data      string
	campus    string
	catalogue string
	publicURL string
	logLevel  string
	// webhook receives every case event (package outbox); empty disables the outbox.
	webhook       string
	webhookSecret string
	webhookFrom   string // "start" (the whole case log) or "latest", for an outbox without a cursor
	// open311Keys is a file of Open311 clients, one "name key" per line.
	open311Keys string
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet("hallserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.demo, "demo", env("ONEDOOR_DEMO", "") == "1", "run the embedded demo campus with demo accounts (password demo)")
	fs.StringVar(&c.addr, "addr", env("ONEDOOR_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&c.data, "data", env("ONEDOOR_DATA", "./data/onedoor.db"), "bbolt data file")
	fs.StringVar(&c.campus, "campus", env("ONEDOOR_CAMPUS", ""), "campus YAML file (halls, services, counters, departments)")
	fs.StringVar(&c.catalogue, "catalogue", env("ONEDOOR_CATALOGUE", ""), "dispatch catalogue YAML of the case system (default: the embedded demo catalogue)")
	fs.StringVar(&c.publicURL, "public-url", env("ONEDOOR_PUBLIC_URL", ""), "base URL printed in QR codes (default http://<addr>)")
	fs.StringVar(&c.logLevel, "log-level", env("ONEDOOR_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.webhook, "webhook", env("ONEDOOR_WEBHOOK", ""), "URL that receives every case event (at-least-once, in order; empty: no outbox)")
	fs.StringVar(&c.webhookSecret, "webhook-secret", env("ONEDOOR_WEBHOOK_SECRET", ""), "HMAC-SHA256 key signing webhook requests (X-OneDoor-Signature)")
	fs.StringVar(&c.open311Keys, "open311-keys", env("ONEDOOR_OPEN311_KEYS", ""), "file of Open311 API clients, one \"name key\" per line (# comments); -demo alone enables the key demo-open311")
	fs.StringVar(&c.webhookFrom, "webhook-from", env("ONEDOOR_WEBHOOK_FROM", "start"), "where a new webhook outbox begins: start (the whole case log) or latest")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !c.demo && c.campus == "" {
		return c, errors.New("no campus: pass -campus FILE for a real campus, or -demo for the demo campus")
	}
	if c.webhookFrom != "start" && c.webhookFrom != "latest" {
		return c, fmt.Errorf("-webhook-from must be start or latest, not %q", c.webhookFrom)
	}
	if c.webhook != "" && !strings.HasPrefix(c.webhook, "http://") && !strings.HasPrefix(c.webhook, "https://") {
		return c, fmt.Errorf("-webhook must be an http(s) URL, not %q", c.webhook)
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	started := time.Now()
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var c hall.Campus
	if cfg.campus != "" {
		if c, err = campus.LoadFile(cfg.campus); err != nil {
			return err
		}
	} else {
		c = campus.Demo()
	}

	db, err := bolt.Open(cfg.data)
	if err != nil {
		return err
	}
	defer db.Close()
	q, err := bolt.NewQueue(ctx, db, c, time.Now, bolt.WithLogger(log))
	if err != nil {
		return err
	}
	defer q.Close()
	cs, err := openCases(ctx, db, c, cfg.catalogue, log)
	if err != nil {
		return err
	}
	defer cs.Close()
	auth := bolt.NewAuth(db)
	if cfg.demo {
		if err := campus.SeedDemo(ctx, auth, c); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	topics, err := bolt.NewTopics(db, cs, time.Now)
	if err != nil {
		return err
	}
	var deptCodes []string
	for _, d := range c.Departments {
		deptCodes = append(deptCodes, d.Code)
	}
	longList, err := bolt.NewLongList(db, deptCodes, time.Now)
	if err != nil {
		return err
	}
	open311Keys, err := loadOpen311Keys(cfg.open311Keys, cfg.demo)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api := hallhttp.NewServer(hallhttp.Config{
		Queue:     q,
		Events:    q,
		Auth:      auth,
		Campus:    c,
		PublicURL: strings.TrimRight(publicURL, "/"),
		Logger:    log,
		Registry:  reg,
		Backup:    db.Backup,
		Cases:     cs,
		Reports:   cs,
		Topics:    topics,
		LongList:  longList,

		// Enrolled Open311 clients (key → client name), from -open311-keys.
		Open311Keys: open311Keys,
	})
	defer api.Close()
	stopOutbox, err := startOutbox(ctx, cfg, db, cs, reg, log)
	if err != nil {
		return err
	}
	defer stopOutbox()
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("hallserver ready", "addr", ln.Addr().String(), "public", publicURL, "data", cfg.data,
		"demo", cfg.demo, "halls", len(c.Halls), "startup", time.Since(started).Round(time.Millisecond))
	if cfg.demo {
		log.Info("demo accounts: admin, supervisor, counter1…, h-<department> (password demo); device tokens demo-kiosk-<hall>, demo-display-<hall>")
		if cfg.open311Keys == "" {
			log.Info("demo Open311 client: api_key=demo-open311 (/open311/v2)")
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	api.Close() // close WebSockets first: Shutdown does not wait for hijacked connections
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loadOpen311Keys reads the Open311 client file: one "name key" per line, blank lines and
// # comments ignored, keys at least 16 characters. Without a file the demo has one client, demo,
// with the key demo-open311.
func loadOpen311Keys(file string, demo bool) (map[string]string, error) {
	if file == "" {
		if demo {
			return map[string]string{"demo-open311": "demo"}, nil
		}
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-open311-keys: %w", err)
	}
	keys := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 || len(f[1]) < 16 || strings.ContainsAny(f[0], ":/") {
			return nil, fmt.Errorf("-open311-keys %s:%d: want \"name key\" with a key of 16 characters or more", file, i+1)
		}
		if _, dup := keys[f[1]]; dup {
			return nil, fmt.Errorf("-open311-keys %s:%d: key used twice", file, i+1)
		}
		keys[f[1]] = f[0]
	}
	return keys, nil
}

// startOutbox starts delivering the case log to the -webhook URL, from the cursor stored in the
// data file; the returned function stops it and waits (it saves the cursor on the way out).
// Without -webhook it does nothing.
func startOutbox(ctx context.Context, cfg config, db *bolt.DB, cs *bolt.Cases, reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	if cfg.webhook == "" {
		return func() {}, nil
	}
	st, err := bolt.NewOutboxStore(db)
	if err != nil {
		return nil, err
	}
	if cfg.webhookSecret == "" {
		log.Warn("-webhook without -webhook-secret: requests are not signed")
	}
	ob, err := outbox.New(outbox.Config{URL: cfg.webhook, Secret: []byte(cfg.webhookSecret), Log: cs, Store: st,
		Logger: log, Registerer: reg, FromLatest: cfg.webhookFrom == "latest"})
	if err != nil {
		return nil, fmt.Errorf("-webhook: %w", err)
	}
	octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ob.Run(octx); err != nil {
			log.Error("outbox stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// openCases starts the case system on the file with the dispatch catalogue (the embedded demo
// catalogue unless a file is given) and the campus's business calendar in its time zone.
// Cases may go to every department of the campus and of the catalogue; catalogue departments
// the campus does not list are logged, since nobody can log in to handle them.
func openCases(ctx context.Context, db *bolt.DB, c hall.Campus, file string, log *slog.Logger) (*bolt.Cases, error) {
	cat := cases.DemoCatalogue()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("-catalogue: %w", err)
		}
		if cat, err = cases.ParseCatalogue(b); err != nil {
			return nil, fmt.Errorf("-catalogue %s: %w", file, err)
		}
	}
	seen := map[string]bool{hall.OfficeDepartment: true}
	depts := []string{hall.OfficeDepartment}
	for _, d := range c.Departments {
		if !seen[d.Code] {
			seen[d.Code] = true
			depts = append(depts, d.Code)
		}
	}
	for _, k := range cat.Categories {
		if !seen[k.Department] {
			seen[k.Department] = true
			depts = append(depts, k.Department)
			log.Warn("case catalogue names a department the campus does not list", "department", k.Department, "category", k.Code)
		}
	}
	loc, err := c.Location()
	if err != nil {
		return nil, err
	}
	var cal *cases.Calendar
	if c.Calendar != nil {
		cal = cases.NewCalendar(loc, c.Calendar.Holidays, c.Calendar.Workdays)
	} else {
		log.Warn("campus has no calendar: case time limits skip weekends only, not public holidays")
		cal = cases.NewCalendar(loc, nil, nil)
	}
	cs, err := bolt.NewCases(ctx, db, c, cases.Config{Catalogue: cat, Calendar: cal, Departments: depts}, time.Now)
	if err != nil {
		return nil, fmt.Errorf("case system: %w", err)
	}
	return cs, nil
}
