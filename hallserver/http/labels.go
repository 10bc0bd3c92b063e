package http

import (
	"strings"
	"sync"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// The label catalogue: what the pages call a ticket state, a counter state, a case state, a case
// event, a request kind, a related-case relation and a counter action done, Simplified Chinese first and English second.
// The labels live here and nowhere else: the templates read them through publicLabels and
// staffLabels, and the scripts get them in the page's boot block (pageBoot, the "scripts" partial)
// through OneDoor.label in common.js. No script carries a label table.
//
// There are two audiences, each with one wording. The public one (the follow page behind a
// ticket's QR code) speaks to the person waiting: "请到窗口办理 Your turn". The staff one (the
// counter console, the department inbox) is shorter and names the work: "已叫号 Called". (The
// supervision page's daily report, drawn on the server, names case states in the public wording.) TestLabelCatalogueIsComplete checks both against the constants of package hall.

// labelCatalogue is the labels of one audience. JSON keys are the wire values of the states and
// types ("waiting", "case.replied"), so a script looks a label up by what the API sent.
type labelCatalogue struct {
	Ticket  map[hall.TicketState]hall.Text   `json:"ticketState"`
	Counter map[hall.CounterState]hall.Text  `json:"counterState,omitempty"`
	Case    map[hall.CaseState]hall.Text     `json:"caseState"`
	Event   map[hall.CaseEventType]hall.Text `json:"caseEvent"`
	Kind    map[hall.Kind]hall.Text          `json:"kind,omitempty"`
	// Done is what the counter console says when a counter action (hall.ActOpen …) succeeded.
	Done map[string]hall.Text `json:"actionDone,omitempty"`
	// Relation names how a related case relates to the one open in the inbox (wire.Related).
	Relation map[string]hall.Text `json:"relation,omitempty"`
	// Inbox names what the department inbox shows beside the case's own data: who acted in the
	// timeline when it was not a staff member, the parts of the request, the co-handling mark.
	Inbox map[string]hall.Text `json:"inbox,omitempty"`
	// Priority is the mark of a priority (绿色通道) ticket on the counter console.
	Priority hall.Text `json:"priority,omitzero"`
	// Files is what the pages say about attachments: the public page's checks before sending
	// ("tooMany", "tooBig", "badType"), the inbox's heading ("files").
	Files map[string]hall.Text `json:"files,omitempty"`
	// Invited is the public timeline line of a co-handling request that names the department
	// asked: "{dept}" stands for its name ("已请保卫处协办").
	Invited hall.Text `json:"invited,omitzero"`
	// Opens says when a service nobody serves opens, by how far away ("today", "tomorrow",
	// "date"; {time} {month} {day} {mon} filled in by OneDoor.opensText): the follow page and the
	// display. The words are hall.OpensLabels, the ones the kiosk and the Fyne display print.
	Opens map[string]hall.Text `json:"opens,omitempty"`
	// Alert names a device alert on the counter console: by kind (hall.AlertKinds), a printer
	// fault by "printer." and its state; "{n}" stands for the requests in an outbox alert.
	Alert map[string]hall.Text `json:"deviceAlert,omitempty"`
	// Device names a device without a name by its role (kiosk, display).
	Device map[hall.Role]hall.Text `json:"deviceRole,omitempty"`
	// Role names the roles of staff and devices; ListStatus the states of a long-standing
	// list item (the admin page).
	Role       map[hall.Role]hall.Text `json:"role,omitempty"`
	ListStatus map[string]hall.Text    `json:"listStatus,omitempty"`
	// Issuing says whether a service issues tickets (hall.IssuingLabels: by the snapshot's
	// closed reason, "remaining" with {n}, "season" with {month} {day} {mon}): the counter
	// console's line per service.
	Issuing map[string]hall.Text `json:"issuing,omitempty"`
	// Portal is what the public portal (/ask) and the hotline desk (/hotline) say as they work:
	// the routing suggestion, sending, the answers (portalText).
	Portal map[string]hall.Text `json:"portal,omitempty"`
	// Rate is the words of a visit rating (好差评, visitRatingLabels): the government-service
	// scale by stars ("star.5" 非常满意 … "star.1" 非常不满意), the preset reasons
	// ("reason." and hall.VisitReasons), the counter-side page's lines and the staff pages'
	// low-rating alert.
	Rate map[string]hall.Text `json:"rate,omitempty"`
	// Escalation names why a case is on the office's escalation list (cases.EscalationReasons;
	// "{n}" stands for the returns, "{stars}" for the stars): the supervision page.
	Escalation map[string]hall.Text `json:"escalation,omitempty"`
	// Appointment names a booking's states (hall.AppointmentState, and "no_show") and holds
	// the words of the booking pages and the console's 预约 mark ("mark", "full", "free" with
	// {n}, "none", "booked", "failed"): appointmentLabels.
	Appointment map[string]hall.Text `json:"appointment,omitempty"`
}

// appointmentLabels are the words of bookings (预约, issue 16) for the public pages (/book,
// /a/{token}) and the counter console.
func appointmentLabels() map[string]hall.Text {
	return map[string]hall.Text{
		string(hall.AppointmentBooked):    {Zh: "已预约", En: "Booked"},
		string(hall.AppointmentCheckedIn): {Zh: "已签到", En: "Checked in"},
		string(hall.AppointmentCancelled): {Zh: "已取消", En: "Cancelled"},
		"no_show":                         {Zh: "未按时签到", En: "Missed"},
		"mark":                            {Zh: "预约", En: "Booked"},
		"full":                            {Zh: "已约满", En: "Full"},
		"free":                            {Zh: "余 {n}", En: "{n} left"},
		"none":                            {Zh: "当天没有可预约的时段", En: "No times left that day"},
		"failed":                          {Zh: "预约未成功", En: "Not booked"},
		"pick":                            {Zh: "请选择时段", En: "Choose a time"},
	}
}

// deptPlaceholder is what Invited says where the department's name goes.
const deptPlaceholder = "{dept}"

// invitedLabel is the public line of a co-handling request naming the department asked.
func (c *labelCatalogue) invitedLabel(dept hall.Text) hall.Text {
	en := dept.En
	if en == "" {
		en = dept.Zh
	}
	return hall.Text{Zh: strings.ReplaceAll(c.Invited.Zh, deptPlaceholder, dept.Zh),
		En: strings.ReplaceAll(c.Invited.En, deptPlaceholder, en)}
}

// publicLabels is the catalogue of the follow page (built once; callers only read it).
var publicLabels = sync.OnceValue(func() *labelCatalogue {
	return &labelCatalogue{
		Ticket: map[hall.TicketState]hall.Text{
			hall.TicketWaiting:   {Zh: "排队中", En: "Waiting"},
			hall.TicketCalled:    {Zh: "请到窗口办理", En: "Your turn"},
			hall.TicketServing:   {Zh: "办理中", En: "Being served"},
			hall.TicketParked:    {Zh: "暂挂，请留意叫号", En: "On hold: listen for your number"},
			hall.TicketDone:      {Zh: "已办结", En: "Done"},
			hall.TicketNoShow:    {Zh: "过号", En: "Missed"},
			hall.TicketCancelled: {Zh: "已取消", En: "Cancelled"},
		},
		Case: map[hall.CaseState]hall.Text{
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
		},
		// Only the types hall.CaseEventType.Visibility shows to the requester.
		Event: map[hall.CaseEventType]hall.Text{
			hall.CaseEvReceived:    {Zh: "已受理", En: "Received"},
			hall.CaseEvRouted:      {Zh: "已分派", En: "Routed"},
			hall.CaseEvTriaged:     {Zh: "转督办室分派", En: "Sent for assignment"},
			hall.CaseEvDispatched:  {Zh: "转至承办部门", En: "Sent to the department"},
			hall.CaseEvSigned:      {Zh: "部门已签收", En: "Accepted by the department"},
			hall.CaseEvResponded:   {Zh: "阶段性答复", En: "Interim answer"},
			hall.CaseEvAsked:       {Zh: "请您补充", En: "Question for you"},
			hall.CaseEvDetails:     {Zh: "您补充了说明", En: "You added details"},
			hall.CaseEvResumed:     {Zh: "继续办理", En: "Handling resumed"},
			hall.CaseEvReplied:     {Zh: "部门答复", En: "Reply"},
			hall.CaseEvRated:       {Zh: "您的评价", En: "Your rating"},
			hall.CaseEvReopened:    {Zh: "重新办理", En: "Reopened"},
			hall.CaseEvArchived:    {Zh: "已办结", En: "Closed"},
			hall.CaseEvDuplicate:   {Zh: "已并案", En: "Merged"},
			hall.CaseEvNotAccepted: {Zh: "不予受理", En: "Not accepted"},
			hall.CaseEvReturned:    {Zh: "已退回重新分派", En: "Returned for reassignment"},
			hall.CaseEvInvited:     {Zh: "已请协办", En: "Co-handling requested"},
			hall.CaseEvSupervised:  {Zh: "已列入督办", En: "Under supervision"},
		},
		Invited:     hall.Text{Zh: "已请" + deptPlaceholder + "协办", En: "Co-handling requested from " + deptPlaceholder},
		Opens:       hall.OpensLabels(),
		Appointment: appointmentLabels(),
		Files: map[string]hall.Text{
			"tooMany": {Zh: "一次最多发送 5 个文件", En: "At most 5 files at a time"},
			"tooBig":  {Zh: "文件超过 10 MB", En: "larger than 10 MB"},
			"badType": {Zh: "只能发送照片（JPEG、PNG、WebP）或 PDF", En: "only photos (JPEG, PNG, WebP) or PDF"},
		},
	}
})

// displayLabels is the catalogue of the web hall display: it names no state, only when a
// service nobody serves opens.
var displayLabels = sync.OnceValue(func() *labelCatalogue {
	return &labelCatalogue{Opens: hall.OpensLabels()}
})

// adminLabels is the catalogue of the admin page: the staff pages' labels, the roles and the
// states of a long-standing list item (built once; callers only read it).
var adminLabels = sync.OnceValue(func() *labelCatalogue {
	c := *staffLabels()
	c.Role = map[hall.Role]hall.Text{
		hall.RoleAdmin:      {Zh: "管理员", En: "Administrator"},
		hall.RoleSupervisor: {Zh: "督办室", En: "Supervising office"},
		hall.RoleCounter:    {Zh: "窗口人员", En: "Counter staff"},
		hall.RoleHandler:    {Zh: "部门办理人", En: "Department handler"},
		hall.RoleHotline:    {Zh: "热线坐席", En: "Hotline operator"},
		hall.RoleKiosk:      {Zh: "自助取号机", En: "Kiosk"},
		hall.RoleDisplay:    {Zh: "显示屏", En: "Display"},
		hall.RoleRater:      {Zh: "窗口评价器", En: "Counter rating tablet"},
	}
	c.ListStatus = listStatusText // the roadmap's words
	return &c
})

// supervisionLabels is the catalogue of the supervision page: the staff pages' labels and the
// states of a long-standing list item, for its list editor (built once; callers only read it).
var supervisionLabels = sync.OnceValue(func() *labelCatalogue {
	c := *staffLabels()
	c.ListStatus = listStatusText
	c.Escalation = map[string]hall.Text{
		cases.EscOverdue:  {Zh: "逾期", En: "Overdue"},
		cases.EscWarned:   {Zh: "预警", En: "Warned"},
		cases.EscReturned: {Zh: "退回分派 {n} 次", En: "Returned {n} times"},
		cases.EscReopened: {Zh: "重新办理", En: "Reopened"},
		cases.EscRatedLow: {Zh: "{stars} 星差评", En: "Rated {stars}"},
	}
	return &c
})

// staffLabels is the catalogue of the staff pages (built once; callers only read it).
var staffLabels = sync.OnceValue(func() *labelCatalogue {
	return &labelCatalogue{
		Ticket: map[hall.TicketState]hall.Text{
			hall.TicketWaiting:   {Zh: "等候中", En: "Waiting"},
			hall.TicketCalled:    {Zh: "已叫号", En: "Called"},
			hall.TicketServing:   {Zh: "办理中", En: "Serving"},
			hall.TicketParked:    {Zh: "暂挂", En: "Parked"},
			hall.TicketDone:      {Zh: "已办结", En: "Done"},
			hall.TicketNoShow:    {Zh: "未到", En: "No-show"},
			hall.TicketCancelled: {Zh: "已取消", En: "Cancelled"},
		},
		Counter: map[hall.CounterState]hall.Text{
			hall.CounterOpen:   {Zh: "开放", En: "Open"},
			hall.CounterPaused: {Zh: "暂停", En: "Paused"},
			hall.CounterClosed: {Zh: "关闭", En: "Closed"},
		},
		Case: map[hall.CaseState]hall.Text{
			hall.CaseReceived:         {Zh: "已受理", En: "Received"},
			hall.CaseTriage:           {Zh: "待分派", En: "Triage"},
			hall.CaseDispatched:       {Zh: "待签收", En: "To sign"},
			hall.CaseInProgress:       {Zh: "办理中", En: "In progress"},
			hall.CaseWaitingRequester: {Zh: "待补充", En: "Waiting"},
			hall.CaseReplied:          {Zh: "已答复", En: "Replied"},
			hall.CaseRated:            {Zh: "已评价", En: "Rated"},
			hall.CaseReopened:         {Zh: "重办", En: "Reopened"},
			hall.CaseArchived:         {Zh: "已办结", En: "Closed"},
			hall.CaseDuplicate:        {Zh: "已并案", En: "Duplicate"},
			hall.CaseNotAccepted:      {Zh: "不予受理", En: "Not accepted"},
		},
		Event: map[hall.CaseEventType]hall.Text{
			hall.CaseEvReceived:           {Zh: "受理", En: "Received"},
			hall.CaseEvRouted:             {Zh: "分派", En: "Routed"},
			hall.CaseEvTriaged:            {Zh: "转督办室", En: "To triage"},
			hall.CaseEvDispatched:         {Zh: "转办", En: "Dispatched"},
			hall.CaseEvSigned:             {Zh: "签收", En: "Signed"},
			hall.CaseEvResponded:          {Zh: "阶段答复", En: "Interim answer"},
			hall.CaseEvAsked:              {Zh: "追问", En: "Asked"},
			hall.CaseEvDetails:            {Zh: "诉求人补充", En: "Details added"},
			hall.CaseEvResumed:            {Zh: "继续办理", En: "Resumed"},
			hall.CaseEvReplied:            {Zh: "答复", En: "Replied"},
			hall.CaseEvRated:              {Zh: "评价", En: "Rated"},
			hall.CaseEvReopened:           {Zh: "重办", En: "Reopened"},
			hall.CaseEvArchived:           {Zh: "办结", En: "Closed"},
			hall.CaseEvDuplicate:          {Zh: "并案", En: "Duplicate"},
			hall.CaseEvNotAccepted:        {Zh: "不予受理", En: "Not accepted"},
			hall.CaseEvReturned:           {Zh: "退回", En: "Returned"},
			hall.CaseEvInvited:            {Zh: "邀请协办", En: "Co-handling invited"},
			hall.CaseEvPartDone:           {Zh: "协办完成", En: "Part done"},
			hall.CaseEvExtensionRequested: {Zh: "申请延期", En: "Extension asked"},
			hall.CaseEvExtensionDecided:   {Zh: "延期审批", En: "Extension decided"},
			hall.CaseEvSupervised:         {Zh: "督办", En: "Supervised"},
			hall.CaseEvListed:             {Zh: "列入清单", En: "Listed"},
			hall.CaseEvNoted:              {Zh: "备注", En: "Note"},
			hall.CaseEvAssigned:           {Zh: "指定承办人", En: "Assigned"},
			hall.CaseEvWarned:             {Zh: "临期提醒", En: "Due soon"},
			hall.CaseEvEscalated:          {Zh: "逾期升级", En: "Escalated"},
		},
		Done: map[string]hall.Text{
			hall.ActOpen:      {Zh: "已开窗", En: "Counter open"},
			hall.ActPause:     {Zh: "已暂停", En: "Paused"},
			hall.ActClose:     {Zh: "已关窗", En: "Closed"},
			hall.ActRecall:    {Zh: "已重呼", En: "Recalled"},
			hall.ActStart:     {Zh: "开始办理", En: "Started"},
			hall.ActFinish:    {Zh: "已办结", En: "Finished"},
			hall.ActNoShow:    {Zh: "已记未到", En: "Marked no-show"},
			hall.ActPark:      {Zh: "已暂挂", En: "Parked"},
			hall.ActTransfer:  {Zh: "已转移", En: "Transferred"},
			hall.ActCall:      {Zh: "已叫号", En: "Called"},
			hall.ActResume:    {Zh: "已叫回", En: "Resumed"},
			hall.ActReinstate: {Zh: "已重新排队", En: "Reinstated"},
		},
		Kind: map[hall.Kind]hall.Text{
			hall.KindConsultation: {Zh: "咨询", En: "Consultation"},
			hall.KindComplaint:    {Zh: "投诉", En: "Complaint"},
			hall.KindSuggestion:   {Zh: "建议", En: "Suggestion"},
		},
		Priority:    hall.Text{Zh: "绿色通道", En: "Priority"},
		Appointment: appointmentLabels(),
		Opens:       hall.OpensLabels(),
		Issuing:     hall.IssuingLabels(),
		Relation: map[string]hall.Text{
			"duplicate": {Zh: "并案", En: "Duplicate"},
			"original":  {Zh: "原件", En: "Original"},
			"similar":   {Zh: "相似", En: "Similar"},
		},
		Inbox: map[string]hall.Text{
			"requester":  {Zh: "诉求人", En: "Requester"},        // an event of the requester (web form, follow page)
			"kiosk":      {Zh: "自助机", En: "Kiosk"},            // the kiosk that logged the request
			"api":        {Zh: "外部渠道", En: "Outside channel"}, // an API or Open311 client
			"system":     {Zh: "系统", En: "System"},            // warnings, escalations, archiving
			"original":   {Zh: "原诉求", En: "Original request"},
			"added":      {Zh: "诉求人补充", En: "Added by the requester"},
			"noText":     {Zh: "诉求人未填写文字", En: "No text from the requester"},
			"coHandling": {Zh: "协办", En: "Co-handling"},
			"assignee":   {Zh: "承办人", En: "Assignee"}, // the handler who owns the case
			"lead":       {Zh: "牵头", En: "Lead"},
		},
		Files: map[string]hall.Text{
			"files": {Zh: "附件", En: "Attachments"},
		},
		Alert:  deviceAlertLabels(),
		Device: map[hall.Role]hall.Text{hall.RoleKiosk: {Zh: "自助机", En: "Kiosk"}, hall.RoleDisplay: {Zh: "显示屏", En: "Display"}},
		Rate:   visitRatingLabels(),
	}
})

// rateLabels is the catalogue of the counter-side rating page /rate/{counter}: the rating's
// words and the ticket states (built once; callers only read it).
var rateLabels = sync.OnceValue(func() *labelCatalogue {
	return &labelCatalogue{Ticket: publicLabels().Ticket, Rate: visitRatingLabels()}
})

// visitRatingLabels is the words of a visit rating: the government-service scale (好差评) by
// stars, the preset reasons, the counter-side page's lines and the low-rating alert ("{n}"
// stands for the ticket number, "{counter}" for the counter).
func visitRatingLabels() map[string]hall.Text {
	return map[string]hall.Text{
		"star.5":            {Zh: "非常满意", En: "Very satisfied"},
		"star.4":            {Zh: "满意", En: "Satisfied"},
		"star.3":            {Zh: "基本满意", En: "Fairly satisfied"},
		"star.2":            {Zh: "不满意", En: "Dissatisfied"},
		"star.1":            {Zh: "非常不满意", En: "Very dissatisfied"},
		"reason.quick":      {Zh: "办事快", En: "Quick"},
		"reason.friendly":   {Zh: "态度好", En: "Friendly"},
		"reason.clear":      {Zh: "讲解清楚", En: "Clearly explained"},
		"reason.wait_long":  {Zh: "等候太久", En: "Waited too long"},
		"reason.unclear":    {Zh: "讲解不清", En: "Not clearly explained"},
		"reason.attitude":   {Zh: "态度不好", En: "Unfriendly"},
		"reason.not_solved": {Zh: "问题未解决", En: "Not solved"},
		"reason.materials":  {Zh: "材料要求多", En: "Too many documents asked"},
		"title":             {Zh: "请为本次服务评价", En: "Please rate this visit"},
		"counter":           {Zh: "{counter} 号窗口", En: "Counter {counter}"},
		"waiting":           {Zh: "欢迎办理，请在办结后评价", En: "Welcome: rate us when your visit is done"},
		"serving":           {Zh: "正在为 {n} 号办理", En: "Now serving {n}"},
		"ask":               {Zh: "{n} 号，请为本次服务评价", En: "{n}: please rate this visit"},
		"reason":            {Zh: "原因（可选）", En: "Reason (optional)"},
		"comment":           {Zh: "其他意见（可选）", En: "Other remarks (optional)"},
		"submit":            {Zh: "提交评价", En: "Submit"},
		"skip":              {Zh: "不评价", En: "Skip"},
		"thanks":            {Zh: "感谢您的评价！", En: "Thank you for your rating!"},
		"rated":             {Zh: "本次服务已评价", En: "This visit is rated"},
		"failed":            {Zh: "评价未能提交", En: "The rating was not sent"},
		"signin":            {Zh: "请窗口人员登录，或输入评价器令牌", En: "Counter staff: sign in, or enter the tablet's token"},
		"token":             {Zh: "评价器令牌", En: "Tablet token"},
		"use":               {Zh: "使用此令牌", En: "Use this token"},
		"denied":            {Zh: "此设备或账号不能为该窗口评价", En: "This device or account may not rate at this counter"},
		"low":               {Zh: "差评", En: "Low rating"},
		"lowLine":           {Zh: "{n} 号 · {counter} 号窗口", En: "{n} · counter {counter}"},
		"stars":             {Zh: "{stars} 星", En: "{stars} stars"},
	}
}

// deviceAlertLabels is what the counter console says of a device alert (the key is the alert's
// kind, or "printer." and the printer's state).
func deviceAlertLabels() map[string]hall.Text {
	return map[string]hall.Text{
		"printer." + hall.DevicePaperNearEnd: {Zh: "打印纸将用完", En: "printer paper low"},
		"printer." + hall.DevicePaperOut:     {Zh: "打印机缺纸", En: "printer out of paper"},
		"printer." + hall.DeviceCoverOpen:    {Zh: "打印机盖未合上", En: "printer cover open"},
		"printer." + hall.DeviceOffline:      {Zh: "打印机离线", En: "printer offline"},
		"printer." + hall.DeviceError:        {Zh: "打印机故障", En: "printer fault"},
		hall.AlertPrinter:                    {Zh: "打印机故障", En: "printer fault"},
		hall.AlertStorage:                    {Zh: "无法保存来访诉求", En: "cannot save walk-in requests"},
		hall.AlertSilent:                     {Zh: "无响应（超过 60 秒）", En: "not responding (over 60 s)"},
		hall.AlertOutbox:                     {Zh: "{n} 条来访诉求未能送出", En: "{n} walk-in requests not sent"},
	}
}

// exportHeaders are the column headers of the exports (GET /api/v1/cases/export and the other
// …/export routes), by column key; ?lang=en picks the English ones. exportWords are the other
// words the exports write (yes/no, the daily report's lists).
var exportHeaders = map[string]hall.Text{
	"number":         {Zh: "案件编号", En: "Number"},
	"kind":           {Zh: "类型", En: "Kind"},
	"state":          {Zh: "状态", En: "State"},
	"channel":        {Zh: "渠道", En: "Channel"},
	"hall":           {Zh: "大厅", En: "Hall"},
	"title":          {Zh: "标题", En: "Title"},
	"text":           {Zh: "诉求内容", En: "Request"},
	"category":       {Zh: "类别", En: "Category"},
	"department":     {Zh: "承办部门", En: "Lead department"},
	"deptCode":       {Zh: "部门代码", En: "Department code"},
	"deptName":       {Zh: "部门", En: "Department"},
	"parts":          {Zh: "协办部门", En: "Assisting departments"},
	"receivedAt":     {Zh: "受理时间", En: "Received"},
	"replyDue":       {Zh: "响应时限", En: "Reply due"},
	"due":            {Zh: "办结时限", En: "Due"},
	"respondedAt":    {Zh: "首次响应", En: "First response"},
	"repliedAt":      {Zh: "答复时间", En: "Replied"},
	"closedAt":       {Zh: "办结时间", En: "Closed"},
	"supervised":     {Zh: "督办", En: "Supervised"},
	"late":           {Zh: "超时", En: "Late"},
	"rating":         {Zh: "评价（星）", En: "Rating (stars)"},
	"name":           {Zh: "诉求人", En: "Requester"},
	"phone":          {Zh: "联系电话", En: "Phone"},
	"personId":       {Zh: "学工号", En: "Campus number"},
	"list":           {Zh: "清单", En: "List"},
	"received":       {Zh: "受理", En: "Received"},
	"responded":      {Zh: "已响应", En: "Responded"},
	"inTime":         {Zh: "按时响应", En: "Responded in time"},
	"resolved":       {Zh: "已解决", En: "Resolved"},
	"resolvedTime":   {Zh: "按时解决", En: "Resolved in time"},
	"rated":          {Zh: "已评价", En: "Rated"},
	"satisfied":      {Zh: "满意", En: "Satisfied"},
	"overdue":        {Zh: "超时", En: "Overdue"},
	"returned":       {Zh: "退回", En: "Returned"},
	"reopened":       {Zh: "重办", En: "Reopened"},
	"responseRate":   {Zh: "响应率", En: "Response rate"},
	"resolveRate":    {Zh: "解决率", En: "Resolution rate"},
	"satisfyRate":    {Zh: "满意率", En: "Satisfaction rate"},
	"from":           {Zh: "起", En: "From"},
	"to":             {Zh: "止", En: "To"},
	"date":           {Zh: "日期", En: "Date"},
	"lateWhich":      {Zh: "超时环节", En: "Missed limit"},
	"arrivedCount":   {Zh: "新到", En: "Arrived"},
	"closedCount":    {Zh: "办结", En: "Closed"},
	"lateCount":      {Zh: "超时", En: "Late"},
	"sheetCases":     {Zh: "案件", En: "Cases"},
	"sheetRates":     {Zh: "三率", En: "Rates"},
	"sheetDaily":     {Zh: "日清日结", En: "Daily report"},
	"fileCases":      {Zh: "案件清单", En: "cases"},
	"fileRates":      {Zh: "三率统计", En: "rates"},
	"fileDaily":      {Zh: "日清日结", En: "daily"},
	"fileQueue":      {Zh: "排队统计", En: "queue"},
	"sheetQueue":     {Zh: "排队统计", En: "Queue"},
	"qKey":           {Zh: "分组", En: "Key"},
	"qBy":            {Zh: "分组方式", En: "Grouped by"},
	"qIssued":        {Zh: "取号", En: "Issued"},
	"qServed":        {Zh: "办结", En: "Served"},
	"qNoShow":        {Zh: "过号", En: "No-show"},
	"qCancelled":     {Zh: "取消/离开", En: "Cancelled"},
	"qTransferred":   {Zh: "转移", En: "Transferred"},
	"qWaitMean":      {Zh: "平均等候(秒)", En: "Wait mean (s)"},
	"qWaitMedian":    {Zh: "等候中位数(秒)", En: "Wait median (s)"},
	"qWaitP90":       {Zh: "等候P90(秒)", En: "Wait p90 (s)"},
	"qSvcMean":       {Zh: "平均办理(秒)", En: "Service mean (s)"},
	"qSvcMedian":     {Zh: "办理中位数(秒)", En: "Service median (s)"},
	"qSvcP90":        {Zh: "办理P90(秒)", En: "Service p90 (s)"},
	"qWithin":        {Zh: "达标等候数", En: "Within target"},
	"qWithinShare":   {Zh: "达标率", En: "Within target share"},
	"qOpenHours":     {Zh: "窗口开放小时", En: "Counter open hours"},
	"qRatings":       {Zh: "评价数", En: "Ratings"},
	"qMeanStars":     {Zh: "平均星级", En: "Mean stars"},
	"qLowRatings":    {Zh: "差评(1–2星)", En: "Rated 1–2"},
	"yes":            {Zh: "是", En: "yes"},
	"arrived":        {Zh: "新到", En: "arrived"},
	"closed":         {Zh: "办结", En: "closed"},
	"lateList":       {Zh: "超时", En: "late"},
	"lateReply":      {Zh: "响应", En: "reply"},
	"lateResolve":    {Zh: "办结", En: "resolution"},
	"channelKiosk":   {Zh: "自助机", En: "kiosk"},
	"channelWeb":     {Zh: "网上", En: "web"},
	"channelCounter": {Zh: "窗口", En: "counter"},
	"channelHotline": {Zh: "热线", En: "hotline"},
	"channelApi":     {Zh: "接口", En: "API"},
}

// portalText is what the public portal's and the hotline desk's scripts say.
var portalText = map[string]hall.Text{
	"suggested":   {Zh: "建议由以下部门办理", En: "Suggested department"},
	"auto":        {Zh: "由系统分派", En: "Let us route it"},
	"picked":      {Zh: "已选择", En: "Chosen"},
	"sending":     {Zh: "正在提交…", En: "Sending…"},
	"sent":        {Zh: "已受理，请保存编号和二维码", En: "Received: keep the number and the QR code"},
	"tooShort":    {Zh: "请多写几个字", En: "Please write a little more"},
	"tooMany":     {Zh: "提交太频繁，请稍后再试", En: "Too many requests: try again in a moment"},
	"duplicate":   {Zh: "相同内容刚刚已提交", En: "The same text was just sent"},
	"failed":      {Zh: "提交失败", En: "Could not send"},
	"identity":    {Zh: "请先登录统一身份认证", En: "Sign in with your campus account first"},
	"noCases":     {Zh: "该号码没有以往诉求", En: "No earlier cases from this number"},
	"noCallbacks": {Zh: "暂无待回访", En: "No callbacks waiting"},
	"noReply":     {Zh: "尚未答复", En: "No reply yet"},
	"rated":       {Zh: "已记录评价", En: "Rating recorded"},
	"opened":      {Zh: "已登记", En: "Case entered"},
	"notFound":    {Zh: "查无此诉求", En: "No case with this number"},
	"qr":          {Zh: "跟踪二维码", En: "QR code of the follow link"},
	"readBack":    {Zh: "读回", En: "Read back"},
	"notDesk":     {Zh: "该账号不能使用热线坐席", En: "This account cannot use the hotline desk"},
}

// portalLabels is the catalogue of the public portal: the public case states, the kinds, the
// files' checks and the portal's words (built once; callers only read it).
var portalLabels = sync.OnceValue(func() *labelCatalogue {
	p := publicLabels()
	return &labelCatalogue{Ticket: p.Ticket, Case: p.Case, Event: p.Event, Kind: staffLabels().Kind, Files: p.Files, Portal: portalText}
})

// hotlineLabels is the catalogue of the hotline desk: the public case states and events (it
// reads to the caller what the caller would see), the kinds and the portal's words.
var hotlineLabels = sync.OnceValue(func() *labelCatalogue {
	p := publicLabels()
	return &labelCatalogue{Ticket: p.Ticket, Case: p.Case, Event: p.Event, Kind: staffLabels().Kind, Portal: portalText}
})

// signInTexts is what the sign-in page (signin.html, identity.go) says when a campus sign-on or
// WeChat Work sign-in fails, by the error's code and field.
var signInTexts = map[string]hall.Text{
	"next":        {Zh: "返回地址不是本站页面，已拒绝跳转。", En: "The return address is not a page of this site; not followed."},
	"ticket":      {Zh: "统一身份认证未确认本次登录（票据无效或已使用），请重新登录。", En: "The campus sign-on did not confirm this sign-in (the ticket is invalid or used); please sign in again."},
	"code":        {Zh: "企业微信未确认本次登录，请在企业微信中重新打开。", En: "WeChat Work did not confirm this sign-in; please open the page again in WeChat Work."},
	"s":           {Zh: "本次登录不是从此浏览器发起或已超时，请重新登录。", En: "This sign-in was not started in this browser or took too long; please sign in again."},
	"state":       {Zh: "本次登录不是从此浏览器发起或已超时，请重新登录。", En: "This sign-in was not started in this browser or took too long; please sign in again."},
	"user":        {Zh: "该统一身份认证账号没有对应的工作人员账号，请联系管理员开通。", En: "This campus account has no staff account here; please ask an administrator."},
	"unavailable": {Zh: "登录服务暂不可用，请稍后再试。", En: "Sign-in is unavailable right now; please try again later."},
	"other":       {Zh: "登录失败，请重新登录。", En: "Sign-in failed; please sign in again."},
}

// signInText is the sign-in page's message for an error's code and field.
func signInText(code, field string) hall.Text {
	if t, ok := signInTexts[field]; ok && code != hall.EUNAVAILABLE && code != hall.EINTERNAL {
		return t
	}
	if code == hall.EUNAVAILABLE || code == hall.EINTERNAL {
		return signInTexts["unavailable"]
	}
	return signInTexts["other"]
}
