// Package http is OneDoor's HTTP face: the JSON API under /api/v1, the WebSocket stream of each
// hall's events, the public follow page behind a ticket's QR code, the OpenAPI document, /healthz
// and Prometheus /metrics. It speaks to the rest of the system only through the interfaces of
// package hall (QueueService, EventLog, AuthService).
package http

import (
	"bufio"
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/kpi"
	"onedoor/hallserver/wire"
)

// Config is what a Server needs.
type Config struct {
	Queue  hall.QueueService
	Events hall.EventLog
	Auth   hall.AuthService
	// Campus is the campus when CampusLive is nil (tests, a fixed campus); with CampusLive the
	// server reads the current campus from it at every use (Server.campus).
	Campus hall.Campus
	// CampusLive is the campus as it lives in the store, changed by PUT /api/v1/admin/campus
	// (campus.go); nil: Campus is fixed and the admin campus routes answer 503.
	CampusLive hall.CampusService
	// PublicURL is the base of the follow links printed on tickets, e.g. http://127.0.0.1:8080.
	PublicURL string
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Registry receives the server's metrics and is served at /metrics; nil makes a new one (with
	// the Go and process collectors).
	Registry *prometheus.Registry
	// Now is the server's clock (nil: time.Now): every date and time it decides with (see
	// Server.now).
	Now func() time.Time
	// Backup takes a consistent copy of the data file to stream (GET /api/v1/admin/backup, see
	// admin.go); nil disables it.
	Backup func(ctx context.Context) (BackupFile, error)
	// Cases is the shared case system (routes in cases.go); nil makes its routes answer 503.
	Cases hall.CaseService
	// Open311Keys maps each API key of an enrolled Open311 client (another channel) to the
	// client's name (open311.go); staff bearer tokens work as api_key too.
	Open311Keys map[string]string
	// CaseLog is the case event log behind the case streams (casestream.go); nil uses Cases when
	// it is one.
	CaseLog hall.CaseLog
	// Reports, Topics and LongList are the supervision figures and daily report, the hot
	// topics with their answers, and the long-standing list (supervision.go, topics.go,
	// roadmap.go); nil makes their routes answer 503.
	Reports  hall.CaseReports
	Topics   hall.TopicService
	LongList hall.LongListService
	// VisitRatings keeps the ratings of finished visits (好差评, POST
	// /api/v1/follow/{token}/rating); nil makes that route answer 503.
	VisitRatings hall.VisitRatingService
	// Appointments keeps the bookings (appointments.go); nil makes the appointment routes
	// answer 503.
	Appointments hall.AppointmentStore
	// BookingBurst is how many public bookings one client address may make at once, then one
	// every ten seconds (0: apptBurst).
	BookingBurst int
	// QueueReports computes the queue reports (GET /api/v1/reports/queue) from the halls'
	// event logs; nil makes that route answer 503.
	QueueReports *kpi.Reports

	// ReadTimeout bounds reading a request's body and WriteTimeout writing its response, both
	// counted from when the handler starts; 0 means no bound. Neither applies to the WebSocket
	// streams, which keep their own ping and per-message deadlines, nor to the backup download.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// MaxStreamsPerAddr caps the public streams (a hall's stream and a case's follow stream
	// opened without staff or device credentials) open at once from one client address while
	// the server is under pressure (UnderPressure); more get 429 before the upgrade. 0 means no
	// cap.
	MaxStreamsPerAddr int
	// UnderPressure reports whether the server is full enough for per-address caps to apply
	// (the connection listener's netlimit.Listener.UnderPressure); below that one address may
	// open any number of public streams. nil: always (MaxStreamsPerAddr is a hard cap).
	UnderPressure func() bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client (clientAddr);
	// empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// MetricsToken is the bearer token of the Prometheus scraper for GET /metrics (an admin's
	// session or token works too); MetricsOpen serves /metrics to anyone (demo mode).
	MetricsToken string
	MetricsOpen  bool
	// Storage reports the data file's storage for /healthz and the onedoor_storage_* metrics
	// (health.go); nil leaves storage out of /healthz. MinFreeBytes is the free space below which
	// /healthz answers 503 (0: no minimum).
	Storage      func() StorageStatus
	MinFreeBytes int64

	// Admin manages staff accounts and devices, Audit reads the audit trail (staffadmin.go,
	// audit.go); nil makes their routes answer 503.
	Admin hall.AdminService
	Audit hall.AuditLog
	// Notify is the notifier's outbox as administrators see it (notify.go: dead letters and
	// their retry); nil makes its routes answer 503.
	Notify NotifyAdmin

	// Ask configures the public portal's defences (POST /api/v1/ask, ask.go); zero fields take
	// AskDefaults.
	Ask AskConfig
	// Requester, when set, replaces the requester sessions (CAS, WeChat Work: Requesters) as the
	// answer to who sent a request (Server.Requester: the portal, the follow page's request
	// form); ok false when the request carries no identity. nil: the requester sessions.
	Requester func(r *http.Request) (*hall.Requester, bool)
	// CAS is the campus sign-on (统一身份认证) for requesters and, when Auth is a
	// hall.ExternalLogin, staff; WeCom is WeChat Work OAuth for requesters; Requesters keeps the
	// requester sessions and finds their cases (identity.go). Each nil leaves its sign-in out.
	CAS        CASLogin
	WeCom      WeComLogin
	Requesters hall.RequesterService

	// streamPing is the period of the streams' pings (0: pingPeriod); tests shorten it.
	streamPing time.Duration
}

// Server serves the API, the stream and the pages. It implements http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	reg     *prometheus.Registry
	mux     *http.ServeMux
	metrics *metrics
	page    *template.Template
	// upgrader upgrades stream requests to WebSockets.
	upgrader *websocket.Upgrader
	// caseSvc runs the case system's use cases and applies its visibility policy.
	caseSvc *cases.Service
	// routes lists every registered pattern ("GET /api/v1/halls") for the OpenAPI test.
	routes []string

	// webOpenLocks serialise web requests per ticket (see webOpenLock).
	webOpenLocks [64]sync.Mutex

	mu     sync.Mutex
	hubs   map[string]streamHub // hub.go: "hall/"+code per hall, caseStreamKey; started on first use
	closed bool
	conns  sync.WaitGroup // stream connections

	// logins throttles password guessing (loginlimit.go).
	logins *loginLimiter
	// ask holds the public portal's limits and duplicate guard (asklimit.go).
	ask *askState

	// streamsByAddr counts the public streams open per client address (streamlimit.go).
	streamsMu     sync.Mutex
	streamsByAddr map[string]int
	streamsLogged time.Time // when a refusal was last logged
	// backupSlot holds one token per backup being downloaded (admin.go): one at a time.
	backupSlot chan struct{}
	// hours holds the services' opening hours (hours.go).
	hours hoursIndex
	// apptLimit limits the public bookings per client address (appointments.go).
	apptLimit apptLimiter
	// frameBufs holds the buffers in which stream writers gather frames (stream.go).
	frameBufs sync.Pool
	// owners lists the open streams by the credentials they were opened with (streamowner.go).
	ownersMu sync.Mutex
	owners   map[string]map[*streamConn]struct{}
}

// NewServer returns a server for the configuration.
func NewServer(cfg Config) *Server {
	s := &Server{
		cfg:  cfg,
		log:  cfg.Logger,
		reg:  cfg.Registry,
		mux:  http.NewServeMux(),
		hubs: map[string]streamHub{},

		streamsByAddr: map[string]int{},

		upgrader: newUpgrader(),
		logins:   newLoginLimiter(),
		ask:      newAskState(cfg.Ask),

		backupSlot: make(chan struct{}, 1),
	}
	s.apptLimit.burst = cfg.BookingBurst
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.cfg.PublicURL = strings.TrimRight(s.cfg.PublicURL, "/")
	if s.cfg.streamPing <= 0 {
		s.cfg.streamPing = pingPeriod
	}
	var staff func(ctx context.Context) ([]hall.Staff, error)
	if cfg.Admin != nil {
		staff = cfg.Admin.ListStaff
	}
	s.caseSvc = cases.NewService(cases.ServiceConfig{Cases: cfg.Cases, Topics: cfg.Topics, LongList: cfg.LongList, Notices: cfg.Queue,
		HallCodes: s.hallCodes, Staff: staff, Now: s.now, Log: s.log})
	s.logins.now = s.now
	s.metrics = newMetrics(s.reg)
	s.registerStorageMetrics()
	s.registerStateGauges()
	s.registerAskGauges()
	s.page = template.Must(template.New("").Funcs(pageFuncs).ParseFS(webFS, "web/*.html"))

	s.registerRoutes()
	return s
}

// campus returns the campus the server runs with now: CampusLive's current one, or the fixed
// Config.Campus. Never change what it points to (it is shared).
func (s *Server) campus() *hall.Campus {
	c, _ := s.campusVersion()
	return c
}

// campusVersion is campus with its version ("" for a fixed campus).
func (s *Server) campusVersion() (*hall.Campus, string) {
	if s.cfg.CampusLive != nil {
		c, v := s.cfg.CampusLive.Campus()
		return &c, v
	}
	return &s.cfg.Campus, ""
}

// hallCodes returns the codes of the campus's halls now.
func (s *Server) hallCodes() []string {
	c := s.campus()
	out := make([]string, 0, len(c.Halls))
	for _, h := range c.Halls {
		out = append(out, h.Code)
	}
	return out
}

// now returns the current time by the configured clock: every date and time the server
// decides with (a default period, today's date, a wait, a file name) comes from it. Only what
// the operating system and the metrics measure keeps the wall clock: socket deadlines, and
// request latency (time.Since).
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Content-Type-Options"] = hdrNosniff
	h["X-Frame-Options"] = hdrDeny
	h["Referrer-Policy"] = hdrNoReferrer // follow tokens are in page URLs
	h["Content-Security-Policy"] = hdrCSP
	s.setDeadlines(w, r)
	s.mux.ServeHTTP(w, s.withClientAddr(r))
}

// Header values of every answer, assigned (canonical keys) rather than Set: one shared slice
// each instead of an allocation per header and request. Header.Set and Add replace or copy a
// value slice, never write into it, so a handler may still change them.
var (
	hdrNosniff    = []string{"nosniff"}
	hdrDeny       = []string{"DENY"}
	hdrNoReferrer = []string{"no-referrer"}
	hdrCSP        = []string{"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}
	hdrJSON       = []string{"application/json; charset=utf-8"}
	hdrNoStore    = []string{"no-store"}
)

// setDeadlines bounds the time to read the body of a request (ReadTimeout) and to write its
// response (WriteTimeout) on the connection, except for the WebSocket streams (long-lived: their
// connection is hijacked and keeps its own deadlines) and the backup download (as long as the
// file). The next request on the connection starts with the server's own header deadline.
func (s *Server) setDeadlines(w http.ResponseWriter, r *http.Request) {
	if s.cfg.ReadTimeout <= 0 && s.cfg.WriteTimeout <= 0 {
		return
	}
	if r.Method == http.MethodGet && (r.URL.Path == "/api/v1/admin/backup" ||
		strings.HasSuffix(r.URL.Path, "/stream") && websocket.IsWebSocketUpgrade(r)) {
		return
	}
	rc := http.NewResponseController(w)
	now := time.Now()
	// Errors mean the writer cannot set deadlines (a test recorder): nothing to bound then.
	if s.cfg.ReadTimeout > 0 {
		_ = rc.SetReadDeadline(now.Add(s.cfg.ReadTimeout))
	}
	if s.cfg.WriteTimeout > 0 {
		_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
	}
}

// Close drops every stream connection and stops the hubs. The handler keeps answering plain HTTP
// requests; new streams get 503.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	hubs := s.hubs
	s.hubs = map[string]streamHub{}
	s.mu.Unlock()
	for _, h := range hubs {
		h.close()
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.log.Warn("stream connections still open after close")
	}
}

// Routes returns the registered route patterns ("METHOD /path"), sorted.
func (s *Server) Routes() []string {
	r := append([]string(nil), s.routes...)
	sort.Strings(r)
	return r
}

// handle registers h for the pattern with recovery, metrics and logging around it.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	_, path, _ := strings.Cut(pattern, " ")
	stream := strings.HasSuffix(path, "/stream")
	// The route's instruments are looked up once, not by label values on every request.
	latency := s.metrics.latency.WithLabelValues(pattern)
	requests := &routeRequests{vec: s.metrics.requests, route: pattern}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if !sw.wrote {
					s.writeError(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			requests.counter(status).Inc()
			if !stream {
				latency.Observe(time.Since(start).Seconds())
			}
		}()
		h(sw, r)
	})
}

// routeRequests is a route's onedoor_http_requests_total counters by status, each looked up in
// the vector once: a route answers with a handful of statuses.
type routeRequests struct {
	vec   *prometheus.CounterVec
	route string
	mu    sync.Mutex                      // serialises additions to seen
	seen  atomic.Pointer[[]statusCounter] // copied on write
}

type statusCounter struct {
	status int
	c      prometheus.Counter
}

// counter returns the route's counter of a status.
func (r *routeRequests) counter(status int) prometheus.Counter {
	if p := r.seen.Load(); p != nil {
		for _, sc := range *p {
			if sc.status == status {
				return sc.c
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var seen []statusCounter
	if p := r.seen.Load(); p != nil {
		seen = *p
	}
	for _, sc := range seen {
		if sc.status == status {
			return sc.c
		}
	}
	c := r.vec.WithLabelValues(r.route, strconv.Itoa(status))
	seen = append(slices.Clip(seen), statusCounter{status, c})
	r.seen.Store(&seen)
	return c
}

// handleNoRoute answers requests no pattern matches: 405 with Allow when the path exists with
// other methods, else 404, both as JSON errors.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "/" && p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, wire.ErrorBody{Error: wire.ErrorDetail{Code: hall.EINVALID, Message: "method " + r.Method + " not allowed here; use " + strings.Join(allow, " or ")}})
		s.metrics.requests.WithLabelValues("unmatched", "405").Inc()
		return
	}
	s.metrics.requests.WithLabelValues("unmatched", "404").Inc()
	s.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "", "no such resource: %s", r.URL.Path))
}

// statusWriter remembers the status a handler sent. It passes hijacking through for WebSockets.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker for the WebSocket upgrade.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("hijack: %T is not a Hijacker", w.ResponseWriter)
	}
	c, rw, err := h.Hijack()
	if err == nil && !w.wrote {
		w.status, w.wrote = http.StatusSwitchingProtocols, true
	}
	return c, rw, err
}

// metrics are the server's Prometheus instruments.
type metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	issued      *prometheus.CounterVec
	actions     *prometheus.CounterVec
	subscribers *prometheus.GaugeVec
	dropped     *prometheus.CounterVec
	events      *prometheus.CounterVec
	refused     *prometheus.CounterVec
	ask         *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "onedoor_http_request_duration_seconds", Help: "HTTP request latency by route pattern (streams excluded).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_tickets_issued_total", Help: "Tickets issued through the API by hall and service.",
		}, []string{"hall", "service"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_desk_actions_total", Help: "Successful counter-desk actions (call-next, start, finish, …) by hall and action.",
		}, []string{"hall", "action"}),
		subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "onedoor_stream_subscribers", Help: "Open WebSocket stream connections by hall.",
		}, []string{"hall"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_stream_dropped_total", Help: "Stream clients dropped by the server, by hall and reason.",
		}, []string{"hall", "reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_stream_events_total", Help: "Events fanned out to stream clients, by hall.",
		}, []string{"hall"}),
		ask: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_ask_total", Help: "Requests to the public portal (POST /api/v1/ask, its suggestions) by outcome: accepted, rate_addr, rate_global, honeypot, invalid, duplicate, identity, suggest, suggest_rate.",
		}, []string{"outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onedoor_stream_refused_total", Help: "Stream connections refused before the upgrade, by reason (per_ip: the server is under pressure and the address holds its cap of public streams).",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.issued, m.actions, m.subscribers, m.dropped, m.events, m.refused, m.ask} {
		reg.MustRegister(c)
	}
	return m
}
