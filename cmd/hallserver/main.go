// Command hallserver runs OneDoor's hall server: the JSON API, the WebSocket stream, the embedded
// web pages and the bbolt store, in one pure-Go binary.
//
//	hallserver -demo                      # the demo campus, demo accounts, ./data/onedoor.db
//	hallserver -campus campus.yaml        # a real campus; accounts made with hallctl
//	hallserver -campus campus.yaml -campus-apply   # apply an edited campus file at start
//	hallserver -demo -catalogue cat.yaml  # another dispatch catalogue for the case system
//	hallserver -demo -webhook https://platform.example.edu/onedoor   # case events to a webhook
//	hallserver -demo -etcd http://127.0.0.1:2379,… -addr :8081   # several servers on one etcd (docs/HA.md)
//
// The campus lives in the data file with a version (bolt/doc.go, bucket campus): the first start
// seeds it from -campus (or, with -demo, the embedded demo campus); later starts run the stored
// campus, which the admin API (PUT /api/v1/admin/campus, hallctl campus apply) changes while the
// server runs. When the YAML given at start differs from the stored campus, the stored one wins
// and the log says so; -campus-apply applies the file instead, through the same checks as the
// API (a change that would strand a waiting ticket is refused and the server does not start).
//
// Every flag can also be set by an environment variable: ONEDOOR_ADDR, ONEDOOR_DATA,
// ONEDOOR_CAMPUS, ONEDOOR_CATALOGUE, ONEDOOR_PUBLIC_URL, ONEDOOR_DEMO=1, ONEDOOR_WEBHOOK,
// ONEDOOR_WEBHOOK_SECRET (prefer the variable to the flag: flags show in ps),
// ONEDOOR_WEBHOOK_FROM, ONEDOOR_OPEN311_KEYS, ONEDOOR_READ_TIMEOUT, ONEDOOR_WRITE_TIMEOUT,
// ONEDOOR_IDLE_TIMEOUT, ONEDOOR_MAX_CONNS, ONEDOOR_MAX_CONNS_PER_IP, ONEDOOR_MAX_STREAMS_PER_IP,
// ONEDOOR_PPROF_ADDR, ONEDOOR_PPROF_RATE.
//
// Profiling: -pprof-addr 127.0.0.1:6060 serves net/http/pprof on that loopback address only
// (-pprof-rate N also samples blocking and mutex contention).
//
// Connections. At start the soft limit on open files is raised to the hard limit (logged with
// the caps below). So that no address, or crowd of addresses, can take every descriptor and stop
// all accepts:
//
//	-read-timeout 30s      reading a request body (headers: 10 s); not the WebSocket streams
//	-write-timeout 30s     writing a response; not the streams nor the backup download
//	-idle-timeout 2m       an idle keep-alive connection is closed
//	-max-conns 0           connections open at once; 0: the descriptor limit less max(64, a
//	                       tenth), at most 65536; the last tenth only for addresses holding
//	                       fewer than 16 connections (kiosks, displays, staff browsers)
//	-max-conns-per-ip 0    connections from one address once the server holds four fifths of
//	                       -max-conns (below that any address gets in); 0: a quarter of -max-conns
//	-max-streams-per-ip 0  public WebSocket streams (hall stream, case follow stream) from one
//	                       address, from the same point on; 0: half of -max-conns-per-ip; over
//	                       it, 429 before the upgrade
//
// The per-address caps are a fairness rule under pressure, not hard limits: thousands of phones
// on campus Wi-Fi share a few NAT addresses, and while the server has room they all get in. Once
// it holds four fifths of -max-conns (onedoor_connections_pressure), an address at its cap is
// refused and the room left goes to the others. -1 turns a cap off (behind a reverse proxy every
// connection comes from the proxy: use -max-conns-per-ip -1 there; with -max-conns -1 the
// per-address caps always apply). Connections over a cap are closed right after accept, counted
// in onedoor_connections_refused_total{reason} and logged at most every 10 s; open connections
// are the gauge onedoor_connections_open.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without the tzdata package

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/kpi"
	"onedoor/hallserver/webhook"
	"onedoor/internal/profiling"
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
	demo   bool
	addr   string
	data   string
	campus string
	// campusApply applies the -campus file over the stored campus at start (-campus-apply).
	campusApply bool
	catalogue   string
	publicURL   string
	logLevel    string
	// webhook receives every case event (package webhook); empty disables the deliverer.
	webhook       string
	webhookSecret string
	webhookFrom   string // "start" (the whole case log) or "latest", for a deliverer without a cursor
	// WeChat Work (package wecom, docs/NOTIFY.md): the API base URL, the corp, the application's
	// secret and agent ID; the SMTP relay of e-mail notices.
	wecomAPI, wecomCorp, wecomSecret string
	wecomAgent                       int64
	smtpAddr, smtpFrom               string
	smtpUser, smtpPassword           string
	// open311Keys is a file of Open311 clients, one "name key" per line.
	open311Keys string
	// Timeouts of plain requests (not the WebSocket streams) and of idle keep-alive connections.
	readTimeout, writeTimeout, idleTimeout time.Duration
	// Connection and stream caps: 0 derives them from the descriptor limit, -1 means none.
	maxConns, maxConnsPerIP, maxStreamsPerIP int
	// trustedProxies are the reverse proxies whose X-Forwarded-For names the client (-trusted-proxy).
	trustedProxies []netip.Prefix
	// metricsToken is the Prometheus scraper's bearer token for /metrics outside demo mode;
	// metricsAddr, when set, serves /metrics alone without a token (a monitoring-only port).
	metricsToken string
	metricsAddr  string
	// pprofAddr, when set, serves the runtime profiles on a loopback address (internal/profiling);
	// pprofRate is the block and mutex sampling rate there (0: CPU and heap only).
	pprofAddr string
	pprofRate int

	// Data-file checks and storage health (hallserver/bolt check.go, /healthz).
	initData  bool  // -init: an existing empty data file may become a new database
	checkData bool  // -check: read and check the whole data file before serving
	minFreeMB int64 // -min-free-mb: /healthz answers 503 below this much free space
	// auditRetention is how long audit entries are kept (-audit-retention).
	auditRetention time.Duration
	// ask is the public portal's defences (-ask-*): rate limits, text bounds, duplicates,
	// whether an identity is required.
	ask hallhttp.AskConfig

	// High availability on etcd (ha.go, docs/HA.md): the cluster's client URLs, TLS files, the
	// owner's lease TTL in seconds and the URL the other servers forward to.
	etcd, etcdCA, etcdCert, etcdKey string
	leaseTTL                        int
	advertise                       string
	dataSet                         bool // -data or ONEDOOR_DATA given (with -etcd: the local file)
	// identity is the CAS and WeChat Work sign-in (-cas-*, -wecom-*; identity.go).
	identity identityConfig

	// onAPI, when set (tests), is given the API configuration each server builds ("bbolt", or
	// "etcd" at every term of ownership).
	onAPI func(mode string, hc hallhttp.Config)
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
	fs.BoolVar(&c.campusApply, "campus-apply", env("ONEDOOR_CAMPUS_APPLY", "") == "1", "apply the -campus file over the campus stored in the data file at start (default: the stored campus wins once seeded)")
	fs.StringVar(&c.catalogue, "catalogue", env("ONEDOOR_CATALOGUE", ""), "dispatch catalogue YAML of the case system (default: the embedded demo catalogue)")
	fs.StringVar(&c.publicURL, "public-url", env("ONEDOOR_PUBLIC_URL", ""), "base URL printed in QR codes (default http://<addr>)")
	fs.StringVar(&c.logLevel, "log-level", env("ONEDOOR_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.webhook, "webhook", env("ONEDOOR_WEBHOOK", ""), "URL that receives every case event (at-least-once, in order; empty: none)")
	fs.StringVar(&c.webhookSecret, "webhook-secret", env("ONEDOOR_WEBHOOK_SECRET", ""), "HMAC-SHA256 key signing webhook requests (X-OneDoor-Signature)")
	fs.StringVar(&c.open311Keys, "open311-keys", env("ONEDOOR_OPEN311_KEYS", ""), "file of Open311 API clients, one \"name key\" per line (# comments); -demo alone enables the key demo-open311")
	fs.StringVar(&c.wecomAPI, "wecom-api", env("ONEDOOR_WECOM_API", "https://qyapi.weixin.qq.com"), "WeChat Work API base URL")
	fs.StringVar(&c.wecomCorp, "wecom-corp", env("ONEDOOR_WECOM_CORP", ""), "WeChat Work corp ID (企业ID) of application messages")
	fs.StringVar(&c.wecomSecret, "wecom-secret", env("ONEDOOR_WECOM_SECRET", ""), "WeChat Work application secret (Secret)")
	fs.StringVar(&c.smtpAddr, "smtp-addr", env("ONEDOOR_SMTP_ADDR", ""), "SMTP relay host:port of e-mail notices (STARTTLS required); empty: no e-mail")
	fs.StringVar(&c.smtpFrom, "smtp-from", env("ONEDOOR_SMTP_FROM", ""), "sender address of e-mail notices")
	fs.StringVar(&c.smtpUser, "smtp-user", env("ONEDOOR_SMTP_USER", ""), "SMTP user name (PLAIN auth over STARTTLS); empty: no auth")
	fs.StringVar(&c.smtpPassword, "smtp-password", env("ONEDOOR_SMTP_PASSWORD", ""), "SMTP password")
	fs.StringVar(&c.webhookFrom, "webhook-from", env("ONEDOOR_WEBHOOK_FROM", "start"), "where a new webhook deliverer begins: start (the whole case log) or latest")
	var envErr error // the first environment variable that does not parse
	durEnv := func(k string, def time.Duration) time.Duration {
		v := getenv(k)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil && envErr == nil {
			envErr = fmt.Errorf("%s: %w", k, err)
		}
		return d
	}
	intEnv := func(k string) int {
		v := getenv(k)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil && envErr == nil {
			envErr = fmt.Errorf("%s: %w", k, err)
		}
		return n
	}
	fs.DurationVar(&c.readTimeout, "read-timeout", durEnv("ONEDOOR_READ_TIMEOUT", 30*time.Second), "longest time to read a request body (not the WebSocket streams); 0: no limit")
	fs.DurationVar(&c.writeTimeout, "write-timeout", durEnv("ONEDOOR_WRITE_TIMEOUT", 30*time.Second), "longest time to write a response (not the WebSocket streams nor the backup download); 0: no limit")
	fs.DurationVar(&c.auditRetention, "audit-retention", durEnv("ONEDOOR_AUDIT_RETENTION", bolt.DefaultAuditRetention), "how long audit entries are kept (older ones are pruned hourly, in batches)")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", durEnv("ONEDOOR_IDLE_TIMEOUT", 120*time.Second), "an idle keep-alive connection is closed after this long")
	fs.Int64Var(&c.wecomAgent, "wecom-agent", int64(intEnv("ONEDOOR_WECOM_AGENT")), "WeChat Work application AgentId of application messages")
	fs.IntVar(&c.maxConns, "max-conns", intEnv("ONEDOOR_MAX_CONNS"), "most client connections open at once; 0: the descriptor limit less max(64, a tenth), at most 65536; -1: no cap")
	fs.IntVar(&c.maxConnsPerIP, "max-conns-per-ip", intEnv("ONEDOOR_MAX_CONNS_PER_IP"), "most connections open at once from one address once the server holds four fifths of -max-conns (below that any address gets in); 0: a quarter of -max-conns; -1: no cap (e.g. behind a reverse proxy)")
	fs.IntVar(&c.maxStreamsPerIP, "max-streams-per-ip", intEnv("ONEDOOR_MAX_STREAMS_PER_IP"), "most public WebSocket streams (hall stream, case follow stream) open at once from one address once the server holds four fifths of -max-conns (below that any address gets in); 0: half of -max-conns-per-ip; -1: no cap")
	fs.StringVar(&c.metricsToken, "metrics-token", env("ONEDOOR_METRICS_TOKEN", ""), "bearer token of the Prometheus scraper for /metrics (outside -demo /metrics needs it or an admin)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", env("ONEDOOR_METRICS_ADDR", ""), "extra listen address serving /metrics alone, without a token (keep it off the public network)")
	fs.StringVar(&c.pprofAddr, "pprof-addr", env("ONEDOOR_PPROF_ADDR", ""), "loopback address serving Go's runtime profiles (/debug/pprof/); empty: none")
	fs.IntVar(&c.pprofRate, "pprof-rate", intEnv("ONEDOOR_PPROF_RATE"), "with -pprof-addr: block and mutex profile sampling rate (0: off; 1: every event)")
	trusted := fs.String("trusted-proxy", env("ONEDOOR_TRUSTED_PROXY", ""), "reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For names the client; empty: the peer is the client")
	c.ask = hallhttp.AskDefaults
	fs.Float64Var(&c.ask.AddrPerMinute, "ask-rate", c.ask.AddrPerMinute, "public portal (POST /api/v1/ask): requests per minute from one client address (an IPv6 /64)")
	fs.IntVar(&c.ask.AddrBurst, "ask-burst", c.ask.AddrBurst, "public portal: requests one address may send at once before -ask-rate applies")
	fs.Float64Var(&c.ask.GlobalPerSecond, "ask-global-rate", c.ask.GlobalPerSecond, "public portal: requests per second from all addresses together (after a burst of 20)")
	fs.IntVar(&c.ask.MaxAddrs, "ask-max-addrs", c.ask.MaxAddrs, "public portal: client addresses the rate limit tracks at most (the rest share one budget)")
	fs.IntVar(&c.ask.MinText, "ask-min-text", c.ask.MinText, "public portal: fewest characters of a request's text")
	fs.IntVar(&c.ask.MaxText, "ask-max-text", c.ask.MaxText, "public portal: most characters of a request's text")
	fs.DurationVar(&c.ask.DupWindow, "ask-dup-window", c.ask.DupWindow, "public portal: the same text from one address, or -ask-dup-global times from all, within this window is refused as a duplicate (409)")
	fs.IntVar(&c.ask.DupGlobal, "ask-dup-global", c.ask.DupGlobal, "public portal: times one text may be sent from all addresses within -ask-dup-window")
	fs.BoolVar(&c.ask.RequireIdentity, "ask-require-identity", env("ONEDOOR_ASK_REQUIRE_IDENTITY", "") == "1", "public portal: refuse requests without a signed-in identity (campus sign-on, WeChat Work) with 401")
	fs.BoolVar(&c.initData, "init", false, "start a new database in an existing empty (0-byte) data file; without it an empty file is refused (no environment variable on purpose)")
	fs.BoolVar(&c.checkData, "check", env("ONEDOOR_CHECK", "") == "1", "read the whole data file and run bbolt's consistency check before serving (exit 1 if damaged)")
	fs.StringVar(&c.etcd, "etcd", env("ONEDOOR_ETCD", ""), "etcd client URLs, comma-separated: run the halls on that cluster with the other servers there (docs/HA.md); no -data needed")
	fs.StringVar(&c.etcdCA, "etcd-ca", env("ONEDOOR_ETCD_CA", ""), "with -etcd: CA certificate file of the cluster")
	fs.StringVar(&c.etcdCert, "etcd-cert", env("ONEDOOR_ETCD_CERT", ""), "with -etcd: client certificate file")
	fs.StringVar(&c.etcdKey, "etcd-key", env("ONEDOOR_ETCD_KEY", ""), "with -etcd: client key file")
	fs.StringVar(&c.advertise, "advertise", env("ONEDOOR_ADVERTISE", ""), "with -etcd: the URL the other servers forward to while this one owns the halls (default http://<addr>)")
	leaseTTL := 3
	if v := getenv("ONEDOOR_LEASE_TTL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("ONEDOOR_LEASE_TTL: %w", err)
		}
		leaseTTL = n
	}
	fs.IntVar(&c.leaseTTL, "lease-ttl", leaseTTL, "with -etcd: seconds the owner's lease outlives it (the failover time)")
	minFree := int64(64)
	if v := getenv("ONEDOOR_MIN_FREE_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("ONEDOOR_MIN_FREE_MB: %w", err)
		}
		minFree = n
	}
	fs.Int64Var(&c.minFreeMB, "min-free-mb", minFree, "/healthz answers 503 when the data file's file system has less free space than this (MiB; 0 disables)")
	identityFlags(fs, env, &c.identity)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if envErr != nil {
		return c, envErr
	}
	c.dataSet = getenv("ONEDOOR_DATA") != ""
	fs.Visit(func(f *flag.Flag) { c.dataSet = c.dataSet || f.Name == "data" })
	if c.etcd != "" && c.leaseTTL < 1 {
		return c, fmt.Errorf("-lease-ttl must be at least 1 second, not %d", c.leaseTTL)
	}
	if c.readTimeout < 0 || c.writeTimeout < 0 || c.idleTimeout < 0 {
		return c, errors.New("-read-timeout, -write-timeout and -idle-timeout must not be negative")
	}
	if c.maxConns < -1 || c.maxConnsPerIP < -1 || c.maxStreamsPerIP < -1 {
		return c, errors.New("-max-conns, -max-conns-per-ip and -max-streams-per-ip take a number, 0 (automatic) or -1 (no cap)")
	}
	var err error
	if c.trustedProxies, err = hallhttp.ParseTrustedProxies(*trusted); err != nil {
		return c, fmt.Errorf("-trusted-proxy: %w", err)
	}
	if c.auditRetention < 24*time.Hour {
		return c, fmt.Errorf("-audit-retention must be at least 24h, not %v", c.auditRetention)
	}
	if c.minFreeMB < 0 || c.minFreeMB > 1<<40 {
		return c, fmt.Errorf("-min-free-mb must be between 0 and %d, not %d", int64(1<<40), c.minFreeMB)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.campusApply && c.campus == "" {
		return c, errors.New("-campus-apply needs -campus FILE")
	}
	if !c.demo && c.campus == "" {
		return c, errors.New("no campus: pass -campus FILE for a real campus, or -demo for the demo campus")
	}
	c.identity.wecomAPI, c.identity.wecomCorp, c.identity.wecomSecret = c.wecomAPI, c.wecomCorp, c.wecomSecret
	if err := c.identity.check(); err != nil {
		return c, err
	}
	if c.webhookFrom != "start" && c.webhookFrom != "latest" {
		return c, fmt.Errorf("-webhook-from must be start or latest, not %q", c.webhookFrom)
	}
	if !strings.HasPrefix(c.wecomAPI, "http://") && !strings.HasPrefix(c.wecomAPI, "https://") {
		return c, fmt.Errorf("-wecom-api must be an http(s) URL, not %q", c.wecomAPI)
	}
	if c.smtpAddr != "" && c.smtpFrom == "" {
		return c, errors.New("-smtp-addr needs -smtp-from")
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
	return runConfig(ctx, cfg, stderr, started)
}

// runConfig runs the server with a parsed configuration.
func runConfig(ctx context.Context, cfg config, stderr io.Writer, started time.Time) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var given hall.Campus
	var err error
	source := "the embedded demo campus"
	if cfg.campus != "" {
		if given, err = campus.LoadFile(cfg.campus); err != nil {
			return err
		}
		source = cfg.campus
	} else {
		given = campus.Demo()
	}
	if cfg.etcd != "" {
		return runHA(ctx, cfg, given, log)
	}

	db, err := bolt.OpenWith(cfg.data, bolt.Options{Init: cfg.initData, Check: cfg.checkData})
	if err != nil {
		return err
	}
	defer db.Close()
	c, version, err := storedCampus(db, given, source, cfg.campusApply, log)
	if err != nil {
		return err
	}
	q, err := bolt.NewQueue(ctx, db, c, time.Now, bolt.WithLogger(log), bolt.WithCampusVersion(version))
	if err != nil {
		return err
	}
	defer func() {
		q.Close()
		st := q.Stats()
		log.Info("queue commits", "batches", st.Batches, "changes", st.Changes, "failed", st.Failed,
			"mean_batch", fmt.Sprintf("%.1f", st.MeanBatch()), "max_batch", st.MaxBatch)
	}()
	cs, err := openCases(ctx, db, c, cfg.catalogue, log)
	if err != nil {
		return err
	}
	defer cs.Close()
	q.CheckCampus(cs.CampusProblems)
	q.OnCampusChange(func(c hall.Campus) {
		if err := cs.SetCampus(c); err != nil {
			log.Error("campus change: case system", "err", err)
		}
	})
	if cfg.campusApply && !sameCampus(c, given) {
		_, v := q.Campus()
		nv, err := q.ApplyCampus(ctx, given, v, "hallserver -campus-apply")
		if err != nil {
			return fmt.Errorf("-campus-apply %s: %w%s", cfg.campus, err, problemLines(err))
		}
		c = given
		log.Info("campus applied from the file", "file", cfg.campus, "version", nv)
	}
	auth := bolt.NewAuth(db)
	if cfg.demo {
		if err := campus.SeedDemo(ctx, auth, c); err != nil {
			return err
		}
	}

	soft, hard, err := raiseFileLimit()
	if err != nil {
		log.Warn("descriptor limit unknown; connection caps use fixed defaults", "err", err)
	}
	lim := connLimits(int(min(soft, 1<<30)), cfg)
	log.Info("connection limits", "fds", soft, "fds_hard", hard, "max_conns", lim.maxConns, "max_conns_per_ip", lim.maxConnsPerIP,
		"per_ip_from", lim.pressure, "reserve", lim.reserve, "reserve_below_per_ip", reservePerAddr, "max_streams_per_ip", lim.maxStreams,
		"read_timeout", cfg.readTimeout, "write_timeout", cfg.writeTimeout, "idle_timeout", cfg.idleTimeout)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	inner, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln, err := limitListener(inner, lim, reg, log)
	if err != nil {
		inner.Close()
		return err
	}
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	st, err := openLocalStores(db, c, cs, auth, cfg, log)
	if err != nil {
		return err
	}
	q.OnCampusChange(func(c hall.Campus) {
		var codes []string
		for _, d := range c.Departments {
			codes = append(codes, d.Code)
		}
		st.longList.SetDepartments(codes)
	})
	pruneCtx, stopPrune := context.WithCancel(ctx)
	defer stopPrune()
	go st.audit.Run(pruneCtx, time.Hour)
	notifier, stopNotifier, err := startNotifier(ctx, cfg, st.wecom, st.outbox, cs, auth, q, q, st.requesters, strings.TrimRight(publicURL, "/"), log)
	if err != nil {
		return err
	}
	defer stopNotifier()
	hc, err := apiConfig(cfg, q, c, st, notifier, apiNet{publicURL: publicURL, registry: reg,
		maxStreams: lim.maxStreams, underPressure: ln.UnderPressure, log: log})
	if err != nil {
		return err
	}
	// Only the bbolt server (apiConfigDiffers): the online backup of the data file, /healthz and
	// onedoor_storage_* (the last commit and the free space, -min-free-mb), the queue reports.
	hc.Backup = func(ctx context.Context) (hallhttp.BackupFile, error) { return db.Snapshot(ctx) }
	hc.Storage = storageStatus(db)
	hc.MinFreeBytes = cfg.minFreeMB << 20
	hc.QueueReports = kpi.NewReports(bolt.NewQueueReports(db), time.Now)
	cfg.builtAPI("bbolt", hc)
	api := hallhttp.NewServer(hc)
	defer api.Close()
	stopWebhook, err := startWebhook(ctx, cfg, db, cs, reg, log)
	if err != nil {
		return err
	}
	defer stopWebhook()
	if cfg.metricsAddr != "" {
		stopMetrics, err := serveMetrics(cfg.metricsAddr, reg, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	if cfg.pprofAddr != "" {
		_, stopPprof, err := profiling.Serve(cfg.pprofAddr, cfg.pprofRate, log)
		if err != nil {
			return fmt.Errorf("-pprof-addr: %w", err)
		}
		defer stopPprof()
	}
	if !cfg.demo && cfg.metricsToken == "" && cfg.metricsAddr == "" {
		log.Info("/metrics answers only administrators: give the scraper -metrics-token or -metrics-addr")
	}
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		// ReadTimeout and WriteTimeout are set per request by the handler (not on the streams).
		IdleTimeout: cfg.idleTimeout,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
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

// storedCampus returns the campus the data file keeps and its version, seeding it from given
// (read from source) the first time. When the stored campus differs from given it is kept and
// the log says how to apply the file (unless apply: the caller applies it).
func storedCampus(db *bolt.DB, given hall.Campus, source string, apply bool, log *slog.Logger) (hall.Campus, uint64, error) {
	c, version, seeded, err := db.SeedCampus(given)
	if err != nil {
		return c, 0, err
	}
	switch {
	case seeded:
		log.Info("campus stored in the data file", "from", source, "version", version)
	case !sameCampus(c, given) && !apply:
		log.Warn("the campus stored in the data file differs from "+source+"; running the stored one (change it with hallctl campus apply, PUT /api/v1/admin/campus, or start with -campus FILE -campus-apply)",
			"version", version, "halls", len(c.Halls))
	}
	return c, version, nil
}

// sameCampus reports whether two campuses are the same configuration (as JSON: nil and empty
// lists alike).
func sameCampus(a, b hall.Campus) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && strings.ReplaceAll(string(ja), "null", "[]") == strings.ReplaceAll(string(jb), "null", "[]")
}

// problemLines lists the problems of a refused campus, one per line.
func problemLines(err error) string {
	var he *hall.Error
	if !errors.As(err, &he) || len(he.Details) < 2 {
		return ""
	}
	var b strings.Builder
	for _, d := range he.Details {
		fmt.Fprintf(&b, "\n  %s: %s", d.Field, d.Message)
	}
	return b.String()
}

// serveMetrics serves /metrics alone, without a token, on its own address (-metrics-addr: a port
// that only the monitoring network reaches). It returns a function that stops it.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-addr: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listener (no token)", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// storageStatus reports the data file's storage to the HTTP layer.
func storageStatus(db *bolt.DB) func() hallhttp.StorageStatus {
	return func() hallhttp.StorageStatus {
		st := db.Storage()
		return hallhttp.StorageStatus{FreeBytes: st.FreeBytes, CommitFailed: st.CommitError != nil,
			CommitReason: st.CommitReason(), CommitFailedAt: st.CommitErrorAt}
	}
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

// startWebhook starts delivering the case log to the -webhook URL, from the cursor stored in the
// data file; the returned function stops it and waits (it saves the cursor on the way out).
// Without -webhook it does nothing.
func startWebhook(ctx context.Context, cfg config, db *bolt.DB, cs *bolt.Cases, reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	if cfg.webhook == "" {
		return func() {}, nil
	}
	st, err := bolt.NewDeliveryStore(db)
	if err != nil {
		return nil, err
	}
	return runWebhook(ctx, cfg, st, cs, reg, log)
}

// runWebhook starts the deliverer of the case log cs to the -webhook URL with its cursor in st
// (the data file's, or etcd's on the owner: ha_cases.go); the returned function stops it and
// waits. Without -webhook it does nothing.
func runWebhook(ctx context.Context, cfg config, st webhook.Store, cs *bolt.Cases, reg prometheus.Registerer, log *slog.Logger) (stop func(), err error) {
	if cfg.webhook == "" {
		return func() {}, nil
	}
	if cfg.webhookSecret == "" {
		log.Warn("-webhook without -webhook-secret: requests are not signed")
	}
	ob, err := webhook.New(webhook.Config{URL: cfg.webhook, Secret: []byte(cfg.webhookSecret), Log: cs, Store: st,
		Logger: log, Registerer: reg, FromLatest: cfg.webhookFrom == "latest"})
	if err != nil {
		return nil, fmt.Errorf("-webhook: %w", err)
	}
	octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ob.Run(octx); err != nil {
			log.Error("webhook deliverer stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// openCases starts the case system on the file with the dispatch catalogue (the embedded demo
// catalogue unless a file is given) and the campus's business calendar in its time zone.
// Cases may go to every department of the campus and of the catalogue; catalogue departments
// the campus does not list are logged, since nobody can log in to handle them.
func openCases(ctx context.Context, db *bolt.DB, c hall.Campus, file string, log *slog.Logger) (*bolt.Cases, error) {
	ccfg, err := caseConfig(c, file, log)
	if err != nil {
		return nil, err
	}
	cs, err := bolt.NewCases(ctx, db, c, ccfg, time.Now)
	if err != nil {
		return nil, fmt.Errorf("case system: %w", err)
	}
	return cs, nil
}

// caseConfig is the case engine's configuration: the dispatch catalogue (the embedded demo
// catalogue unless file is given), the departments of the campus and of the catalogue, and the
// campus's business calendar (the bbolt server's and the etcd owner's alike).
func caseConfig(c hall.Campus, file string, log *slog.Logger) (cases.Config, error) {
	cat := cases.DemoCatalogue()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return cases.Config{}, fmt.Errorf("-catalogue: %w", err)
		}
		if cat, err = cases.ParseCatalogue(b); err != nil {
			return cases.Config{}, fmt.Errorf("-catalogue %s: %w", file, err)
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
		return cases.Config{}, err
	}
	var cal *cases.Calendar
	if c.Calendar != nil {
		cal = cases.NewCalendar(loc, c.Calendar.Holidays, c.Calendar.Workdays)
	} else {
		log.Warn("campus has no calendar: case time limits skip weekends only, not public holidays")
		cal = cases.NewCalendar(loc, nil, nil)
	}
	return cases.Config{Catalogue: cat, Calendar: cal, Departments: depts}, nil
}
