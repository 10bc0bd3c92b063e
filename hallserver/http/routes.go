package http

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Who may call a route (the route table's auth column). The handler enforces it, through
// authenticate and the policies it asks (hall.Principal's rights, the case policy in package
// cases); the table says it in one place, and TestRouteTableAuth checks the split between the
// routes that need credentials and those that do not.
const (
	authAnyone    = "anyone"                                         // no credentials
	authToken     = "follow token"                                   // the ticket's or case's token in the path
	authPage      = "anyone; the page signs in through the API"      // an HTML page
	authSigned    = "signed in"                                      // any session or device token
	authHall      = "kiosk, counter or admin of the hall"            // issue, device status, counters
	authDevice    = "kiosk or display of the hall"                   // device heartbeats
	authHallStaff = "counter staff, supervisor or admin of the hall" // device health
	authCases     = "case staff"                                     // department handlers and the office (cases.WorksCases)
	authOffice    = "the office"                                     // office handlers, supervisors, admins (cases.SeesAll)
	authAdmin     = "admin"                                          // administrators
	authAudit     = "admin; supervisors read case entries"           // the audit trail
	authReports   = "supervisor, admin; counter staff of the hall"   // the queue reports
	authRater     = "the counter's rating tablet or its staff"       // the counter-side rating page's API
	authMetrics   = "the scraper's token or an admin"                // GET /metrics (or anyone in demo mode)
	authHotline   = "the hotline desk"                               // hotline operators and the office (cases.WorksHotline)
	authRequester = "an identified requester's session"              // CAS or WeChat Work sign-in (identity.go)
)

// route is one entry of the route table.
type route struct {
	method, pattern string
	auth            string
	handler         http.HandlerFunc
}

// resource is the routes of one resource, and mount, for a resource whose routes its own
// package registers (Open311), the function that does.
type resource struct {
	name   string
	routes []route
	mount  func()
}

// routeTable is every route of the server, by resource. NewServer registers it; the OpenAPI
// test checks it against openapi.json.
func (s *Server) routeTable() []resource {
	return []resource{
		{name: "session", routes: []route{
			{"POST", "/api/v1/session", authAnyone, s.handleLogin},
			{"DELETE", "/api/v1/session", authSigned, s.handleLogout},
			{"GET", "/api/v1/me", authSigned, s.handleMe},
		}},
		{name: "identity", routes: []route{
			{"GET", "/auth/cas/login", authAnyone, s.handleCASLogin},
			{"GET", "/auth/cas/callback", authAnyone, s.handleCASCallback},
			{"GET", "/auth/cas/staff", authAnyone, s.handleCASStaffLogin},
			{"GET", "/auth/cas/staff/callback", authAnyone, s.handleCASStaffCallback},
			{"GET", "/auth/wecom/login", authAnyone, s.handleWeComLogin},
			{"GET", "/auth/wecom/callback", authAnyone, s.handleWeComCallback},
			{"GET", "/api/v1/me/requests", authRequester, s.handleMyRequests},
			{"GET", "/api/v1/me/appointments", authRequester, s.handleMyAppointments},
			{"DELETE", "/api/v1/me/requester", authRequester, s.handleRequesterLogout},
			{"GET", "/my", authPage, s.handleMyPage},
		}},
		{name: "halls", routes: []route{
			{"GET", "/api/v1/halls", authAnyone, s.handleHalls},
			{"GET", "/api/v1/halls/{hall}", authAnyone, s.handleHall},
			{"GET", "/api/v1/halls/{hall}/snapshot", authAnyone, s.handleSnapshot},
			{"POST", "/api/v1/halls/{hall}/devices/status", authHall, s.handleDeviceStatus},
			{"POST", "/api/v1/halls/{hall}/devices/heartbeat", authDevice, s.handleHeartbeat},
			{"GET", "/api/v1/halls/{hall}/devices", authHallStaff, s.handleDeviceHealth},
			{"POST", "/api/v1/halls/{hall}/notices", authOffice, s.handlePublishNotice},
			{"DELETE", "/api/v1/halls/{hall}/notices/{id}", authOffice, s.handleWithdrawNotice},
		}},
		{name: "tickets", routes: []route{
			{"POST", "/api/v1/halls/{hall}/tickets", authHall, s.handleIssue},
			{"GET", "/api/v1/halls/{hall}/waiting", authHall, s.handleWaiting},
			{"GET", "/api/v1/follow/{token}", authToken, s.handleFollow},
			{"POST", "/api/v1/follow/{token}/cancel", authToken, s.handleFollowCancel},
			{"POST", "/api/v1/follow/{token}/rating", authToken, s.handleVisitRating},
			{"POST", "/api/v1/follow/{token}/request", authToken, s.handleWebCase},
		}},
		{name: "appointments", routes: []route{
			{"GET", "/api/v1/halls/{hall}/services/{code}/slots", authAnyone, s.handleSlots},
			{"POST", "/api/v1/appointments", authAnyone, s.handleBook},
			{"GET", "/api/v1/appointments/{token}", authToken, s.handleGetAppointment},
			{"POST", "/api/v1/appointments/{token}/cancel", authToken, s.handleCancelAppointment},
			{"POST", "/api/v1/appointments/{token}/reschedule", authToken, s.handleRescheduleAppointment},
			{"POST", "/api/v1/halls/{hall}/appointments/checkin", authHall, s.handleCheckin},
			{"GET", "/api/v1/halls/{hall}/appointments", authHallStaff, s.handleDayAppointments},
		}},
		{name: "counters", routes: []route{
			{"GET", "/api/v1/halls/{hall}/counters/{n}", authHall, s.handleCounterView},
			{"POST", "/api/v1/halls/{hall}/counters/{n}/{action}", authHall, s.handleCounter},
			{"GET", "/api/v1/halls/{hall}/counter-ratings/{n}", authRater, s.handleCounterVisit},
			{"POST", "/api/v1/halls/{hall}/counter-ratings/{n}", authRater, s.handleCounterRating},
		}},
		{name: "cases", routes: []route{
			{"POST", "/api/v1/route", authSigned, s.handleRoute},
			{"DELETE", "/api/v1/route/learned/{username}", authOffice, s.handleForgetRoutes},
			{"GET", "/api/v1/catalogue", authAnyone, s.handleCatalogue},
			{"POST", "/api/v1/cases", authSigned, s.handleOpenCase},
			{"GET", "/api/v1/cases", authCases, s.handleListCases},
			{"GET", "/api/v1/cases/export", authCases, s.handleCaseExport},
			{"GET", "/api/v1/cases/stats", authCases, s.handleCaseStats},
			{"GET", "/api/v1/cases/stats/export", authCases, s.handleCaseStatsExport},
			{"GET", "/api/v1/cases/daily", authOffice, s.handleDaily},
			{"GET", "/api/v1/cases/daily/export", authOffice, s.handleDailyExport},
			{"GET", "/api/v1/cases/series", authOffice, s.handleSeries},
			{"GET", "/api/v1/cases/escalations", authOffice, s.handleEscalations},
			{"GET", "/api/v1/cases/{id}", authCases, s.handleGetCase},
			{"GET", "/api/v1/cases/{id}/related", authCases, s.handleRelated},
			{"POST", "/api/v1/cases/{id}/{action}", authCases, s.handleCaseAction},
			{"GET", "/api/v1/case-follow/{token}", authToken, s.handleCaseFollow},
			{"POST", "/api/v1/case-follow/{token}/details", authToken, s.handleCaseDetails},
			{"POST", "/api/v1/case-follow/{token}/rate", authToken, s.handleCaseRate},
			{"POST", "/api/v1/case-follow/{token}/attachments", authToken, s.handleCaseAttach},
			{"GET", "/api/v1/case-follow/{token}/attachments/{id}", authToken, s.handleCaseFollowAttachment},
			{"GET", "/api/v1/cases/{id}/attachments/{file}", authCases, s.handleCaseAttachment},
			{"GET", "/api/v1/case-follow/{token}/qr", authToken, s.handleCaseQR},
		}},
		{name: "ask", routes: []route{
			{"POST", "/api/v1/ask", authAnyone, s.handleAsk},
			{"GET", "/api/v1/ask/suggest", authAnyone, s.handleAskSuggest},
		}},
		{name: "hotline", routes: []route{
			{"GET", "/api/v1/hotline/cases", authHotline, s.handleHotlineCases},
			{"GET", "/api/v1/hotline/cases/{number}", authHotline, s.handleHotlineCase},
			{"GET", "/api/v1/hotline/callbacks", authHotline, s.handleHotlineCallbacks},
			{"POST", "/api/v1/hotline/cases/{number}/rating", authHotline, s.handleHotlineRating},
		}},
		{name: "reports", routes: []route{
			{"GET", "/api/v1/reports/queue", authReports, s.handleQueueReport},
			{"GET", "/api/v1/reports/queue/export", authReports, s.handleQueueReportExport},
		}},
		{name: "topics", routes: []route{
			{"GET", "/api/v1/topics", authOffice, s.handleTopics},
			{"POST", "/api/v1/topics/{id}/answer", authOffice, s.handleTopicAnswer},
		}},
		{name: "longlist", routes: []route{
			{"GET", "/api/v1/longlist", authCases, s.handleListItems},
			{"POST", "/api/v1/longlist", authOffice, s.handleCreateListItem},
			{"GET", "/api/v1/longlist/{id}", authCases, s.handleGetListItem},
			{"PUT", "/api/v1/longlist/{id}", authOffice, s.handleUpdateListItem},
			{"DELETE", "/api/v1/longlist/{id}", authOffice, s.handleDeleteListItem},
			{"GET", "/api/v1/roadmap", authAnyone, s.handleRoadmapJSON},
		}},
		{name: "streams", routes: []route{
			{"GET", "/api/v1/halls/{hall}/stream", authAnyone, s.handleStream},
			{"GET", "/api/v1/cases/stream", authCases, s.handleCaseStream},
			{"GET", "/api/v1/case-follow/{token}/stream", authToken, s.handleCaseFollowStream},
		}},
		{name: "pages", routes: []route{
			{"GET", "/t/{token}", authToken, s.handlePage},
			{"GET", "/c/{token}", authToken, s.handleCasePage},
			{"GET", "/counter", authPage, s.handleCounterPage},
			{"GET", "/display/{hall}", authAnyone, s.handleDisplayPage},
			{"GET", "/rate/{counter}", authPage, s.handleRatePage},
			{"GET", "/cases", authPage, s.handleInboxPage},
			{"GET", "/supervision", authPage, s.handleSupervisionPage},
			{"GET", "/reports", authPage, s.handleReportsPage},
			{"GET", "/admin", authPage, s.handleAdminPage},
			{"GET", "/roadmap", authAnyone, s.handleRoadmapPage},
			{"GET", "/ask", authAnyone, s.handleAskPage},
			{"GET", "/hotline", authPage, s.handleHotlinePage},
			{"GET", "/book", authAnyone, s.handleBookPage},
			{"GET", "/a/{token}", authToken, s.handleApptPage},
			{"GET", "/assets/{file}", authAnyone, s.handleAsset},
			{"GET", "/favicon.ico", authAnyone, s.handleFavicon},
		}},
		{name: "admin", routes: []route{
			{"GET", "/api/v1/admin/backup", authAdmin, s.handleBackup},
			{"GET", "/api/v1/admin/campus", authAdmin, s.handleGetCampus},
			{"PUT", "/api/v1/admin/campus", authAdmin, s.handlePutCampus},
			{"GET", "/api/v1/admin/staff", authAdmin, s.handleListStaff},
			{"POST", "/api/v1/admin/staff", authAdmin, s.handleAddStaff},
			{"PATCH", "/api/v1/admin/staff/{username}", authAdmin, s.handlePatchStaff},
			{"GET", "/api/v1/admin/devices", authAdmin, s.handleListDevices},
			{"POST", "/api/v1/admin/devices", authAdmin, s.handleEnrolDevice},
			{"DELETE", "/api/v1/admin/devices/{id}", authAdmin, s.handleRevokeDevice},
			{"GET", "/api/v1/admin/audit", authAudit, s.handleAudit},
			{"GET", "/api/v1/admin/notifications", authAdmin, s.handleNotifications},
			{"POST", "/api/v1/admin/notifications/retry", authAdmin, s.handleRetryNotification},
			{"GET", "/api/v1/openapi.json", authAnyone, s.handleOpenAPI},
			{"GET", "/healthz", authAnyone, s.handleHealth},
			{"GET", "/metrics", authMetrics, s.handleMetrics(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))},
		}},
		{name: "open311", mount: s.registerOpen311},
	}
}

// registerRoutes registers the route table, then the answer to paths no route matches.
func (s *Server) registerRoutes() {
	for _, res := range s.routeTable() {
		for _, rt := range res.routes {
			s.handle(rt.method+" "+rt.pattern, rt.handler)
		}
		if res.mount != nil {
			res.mount()
		}
	}
	s.mux.HandleFunc("/", s.handleNoRoute)
}
