package http

import (
	"html/template"
	"net/http"

	"onedoor/hallserver/hall"
)

// caseStateText names the case states on the case page.
var caseStateText = map[hall.CaseState]hall.Text{
	hall.CaseReceived:         {Zh: "已受理", En: "Received"},
	hall.CaseTriage:           {Zh: "分派中", En: "Being assigned"},
	hall.CaseDispatched:       {Zh: "已转办", En: "Sent to the department"},
	hall.CaseInProgress:       {Zh: "办理中", En: "In progress"},
	hall.CaseWaitingRequester: {Zh: "待您补充", En: "Waiting for your details"},
	hall.CaseReplied:          {Zh: "已答复，请评价", En: "Replied: please rate"},
	hall.CaseRated:            {Zh: "已评价", En: "Rated"},
	hall.CaseReopened:         {Zh: "重新办理中", En: "Being handled again"},
	hall.CaseArchived:         {Zh: "已办结", En: "Closed"},
	hall.CaseDuplicate:        {Zh: "已并案", En: "Merged with another request"},
	hall.CaseNotAccepted:      {Zh: "不予受理", En: "Not accepted"},
}

// caseEntryText names the public timeline entries.
var caseEntryText = map[hall.CaseEventType]hall.Text{
	hall.CaseEvReceived: {Zh: "已受理", En: "Received"}, hall.CaseEvRouted: {Zh: "已分派", En: "Routed"},
	hall.CaseEvTriaged: {Zh: "转督办室分派", En: "Sent for assignment"}, hall.CaseEvDispatched: {Zh: "转至承办部门", En: "Sent to the department"},
	hall.CaseEvSigned: {Zh: "部门已签收", En: "Accepted by the department"}, hall.CaseEvResponded: {Zh: "阶段性答复", En: "Interim answer"},
	hall.CaseEvAsked: {Zh: "请您补充", En: "Question for you"}, hall.CaseEvDetails: {Zh: "您补充了说明", En: "You added details"},
	hall.CaseEvResumed: {Zh: "继续办理", En: "Handling resumed"}, hall.CaseEvReplied: {Zh: "部门答复", En: "Reply"},
	hall.CaseEvRated: {Zh: "您的评价", En: "Your rating"}, hall.CaseEvReopened: {Zh: "重新办理", En: "Reopened"},
	hall.CaseEvArchived: {Zh: "已办结", En: "Closed"}, hall.CaseEvDuplicate: {Zh: "已并案", En: "Merged"},
	hall.CaseEvNotAccepted: {Zh: "不予受理", En: "Not accepted"}, hall.CaseEvReturned: {Zh: "重新分派", En: "Reassigned"},
	hall.CaseEvInvited: {Zh: "协同办理", En: "Co-handled"}, hall.CaseEvSupervised: {Zh: "督办", En: "Supervised"},
}

// casePage is the read-only phone page behind a case's QR code (GET /c/{token}). It shows the
// state, the department, the timeline and the replies; adding details and rating go through
// /api/v1/case-follow/{token} (the interactive phone page is issue 6's).
var casePage = template.Must(template.New("case").Funcs(template.FuncMap{
	"stateText": func(s hall.CaseState) hall.Text { return caseStateText[s] },
	"entryText": func(t hall.CaseEventType) hall.Text { return caseEntryText[t] },
}).Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.C.Number}}</title>
<link rel="stylesheet" href="/assets/follow.css">
</head>
<body>
<main id="case" data-token="{{.C.Token}}">
<p class="hall">接诉即办 <span class="en">Requests &amp; complaints</span></p>
<h1 id="number">{{.C.Number}}</h1>
<p class="service">{{.C.CategoryName.Zh}} <span class="en">{{.C.CategoryName.En}}</span></p>
<p id="state" class="state state-{{.C.State}}">{{(stateText .C.State).Zh}} <span class="en">{{(stateText .C.State).En}}</span></p>
<dl>
<div><dt>承办部门 <span class="en">Department</span></dt><dd>{{.C.DepartmentName.Zh}} <span class="en">{{.C.DepartmentName.En}}</span></dd></div>
<div><dt>受理时间 <span class="en">Received</span></dt><dd>{{.Received}}</dd></div>
<div><dt>答复时限 <span class="en">Reply by</span></dt><dd>{{.ReplyDue}}</dd></div>
</dl>
{{if .C.Text}}<section><h2>您的诉求 <span class="en">Your request</span></h2><p>{{.C.Text}}</p></section>{{end}}
{{if .C.Question}}<section><h2>请您补充 <span class="en">Question for you</span></h2><p>{{.C.Question}}</p></section>{{end}}
{{if .C.Reason}}<section><h2>不予受理原因 <span class="en">Reason</span></h2><p>{{.C.Reason}}</p></section>{{end}}
{{range .C.Replies}}<section><h2>答复 <span class="en">Reply</span></h2><p>{{.Text}}</p></section>{{end}}
<section>
<h2>进度 <span class="en">Timeline</span></h2>
<ul id="timeline">
{{range .Timeline}}<li>{{.At}} {{(entryText .Type).Zh}} <span class="en">{{(entryText .Type).En}}</span>{{if .Text}}: {{.Text}}{{end}}</li>
{{end}}</ul>
</section>
</main>
</body>
</html>
`))

type casePageEntry struct {
	At   string
	Type hall.CaseEventType
	Text string
}

// handleCasePage serves GET /c/{token}.
func (s *Server) handleCasePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	var c *hall.Case
	cs, err := s.casesService()
	if err == nil {
		var tok string
		if tok, err = caseToken(r); err == nil {
			c, _, err = s.caseByToken(r, cs, tok)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		status := statusOf(hall.ErrorCode(err))
		if status >= 500 {
			s.log.Error("case page", "err", err)
		}
		w.WriteHeader(status)
		if err := s.page.ExecuteTemplate(w, "notfound.html", status); err != nil {
			s.log.Error("render not-found page", "err", err)
		}
		return
	}
	loc := s.campusLoc()
	d := struct {
		C                  caseFollowJSON
		Received, ReplyDue string
		Timeline           []casePageEntry
	}{C: s.caseFollow(r, c), Received: c.ReceivedAt.In(loc).Format("2006-01-02 15:04"), ReplyDue: c.ReplyDue.In(loc).Format("2006-01-02 15:04")}
	for _, e := range c.Timeline {
		d.Timeline = append(d.Timeline, casePageEntry{At: e.At.In(loc).Format("01-02 15:04"), Type: e.Type, Text: e.Text})
	}
	if err := casePage.Execute(w, d); err != nil {
		s.log.Error("render case page", "err", err)
	}
}
