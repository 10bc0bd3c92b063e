package http

import (
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
	hall.CaseEvNotAccepted: {Zh: "不予受理", En: "Not accepted"}, hall.CaseEvReturned: {Zh: "已退回重新分派", En: "Returned for reassignment"},
	hall.CaseEvInvited: {Zh: "已请协办", En: "Co-handling requested"}, hall.CaseEvSupervised: {Zh: "已列入督办", En: "Under supervision"},
}

// entryLabel is what a public timeline line says: the type's name, or for a co-handling request
// the department asked ("已请保卫处协办"); named reports whether the label holds the department.
func entryLabel(t hall.CaseEventType, dept hall.Text) (label hall.Text, named bool) {
	if t == hall.CaseEvInvited && dept.Zh != "" {
		return hall.Text{Zh: "已请" + dept.Zh + "协办", En: "Co-handling requested from " + dept.En}, true
	}
	return caseEntryText[t], false
}

// handleCasePage serves GET /c/{token}: the interactive follow page (page.go, follow.html) for
// a case followed by its own token (or by the token of the ticket it came from).
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
	s.serveCaseFollowPage(w, r, c)
}
