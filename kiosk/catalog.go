package kiosk

import (
	"fmt"

	"onedoor/hallserver/hall"
)

// Msg names a string of the catalogue.
type Msg string

// catalog holds every string the kiosk shows, Simplified Chinese first. Strings with verbs are
// formatted with fmt.Sprintf.
var catalog = map[Msg]hall.Text{
	"lang.switch":           {Zh: "English", En: "中文"},
	"home.pick":             {Zh: "请选择要办理的业务", En: "Touch the service you need"},
	"home.waiting":          {Zh: "等候 %d 人", En: "%d waiting"},
	"home.eta":              {Zh: "约 %d 分钟", En: "about %d min"},
	"home.eta.none":         {Zh: "无需等待", En: "no wait"},
	"home.closed":           {Zh: "暂无窗口办理", En: "no counter now"},
	"home.closed.take":      {Zh: "可先取号", En: "You may take a number"},
	"home.hours":            {Zh: "办理时间 %s", En: "Open %s"},
	"result.closed":         {Zh: "暂无窗口办理此业务，有窗口开放后按顺序叫号", En: "Nobody serves this now: numbers are called in turn once a counter opens"},
	"home.full":             {Zh: "今日号已取完", En: "No more numbers today"},
	"home.notissuing":       {Zh: "暂停取号", En: "Not issuing numbers now"},
	"home.notice":           {Zh: "通知", En: "Notice"},
	"home.request":          {Zh: "咨询 · 投诉 · 建议", En: "Ask, complain, suggest"},
	"home.booking":          {Zh: "我有预约", En: "I have a booking"},
	"home.booking.sub":      {Zh: "输入预约码签到取号", En: "Type your booking code to check in"},
	"appt.title":            {Zh: "请输入 6 位预约码", En: "Type your 6-digit booking code"},
	"appt.scan":             {Zh: "也可将预约二维码对准扫描口", En: "Or hold the booking's QR code to the scanner"},
	"appt.ok":               {Zh: "签到取号", En: "Check in"},
	"appt.checking":         {Zh: "正在签到，请稍候…", En: "Checking you in…"},
	"appt.code.short":       {Zh: "预约码为 6 位数字", En: "The code has 6 digits"},
	"appt.notfound":         {Zh: "未找到今天的这个预约，请核对预约码", En: "No booking today with this code: check the code"},
	"appt.notnow":           {Zh: "此预约不能在本大厅今天签到", En: "This booking cannot be checked in here today"},
	"appt.early":            {Zh: "您预约的时间是 %s，请于 %s 以后再来签到", En: "Your booking is at %s: please check in from %s"},
	"appt.late":             {Zh: "您预约的时间 %s 已过签到时间", En: "The check-in for your %s booking has closed"},
	"appt.walkin":           {Zh: "取普通号排队", En: "Take a regular number"},
	"appt.mark":             {Zh: "预约 %s", En: "Booked %s"},
	"home.request.sub":      {Zh: "记录您的诉求，24 小时内答复", En: "We log it and reply within 24 hours"},
	"nav.back":              {Zh: "返回", En: "Back"},
	"nav.home":              {Zh: "返回首页", En: "Home"},
	"opt.title":             {Zh: "%s", En: "%s"},
	"opt.standard":          {Zh: "取号", En: "Take a number"},
	"opt.standard.sub":      {Zh: "普通窗口排队", En: "Regular queue"},
	"opt.priority":          {Zh: "绿色通道取号", En: "Priority lane"},
	"opt.priority.sub":      {Zh: "残障人士 · 孕妇 · 伤病", En: "Disability · pregnancy · illness"},
	"opt.id":                {Zh: "输入学号/工号（可选）", En: "Enter student/staff number (optional)"},
	"keypad.title":          {Zh: "请输入学号或工号", En: "Enter your student or staff number"},
	"keypad.clear":          {Zh: "清除", En: "Clear"},
	"keypad.del":            {Zh: "删除", En: "Delete"},
	"keypad.ok":             {Zh: "确定取号", En: "Take the number"},
	"issuing":               {Zh: "正在取号，请稍候…", En: "Getting your number…"},
	"result.title":          {Zh: "您的号码", En: "Your number"},
	"result.ahead":          {Zh: "前面还有 %d 人", En: "%d ahead of you"},
	"result.ahead.none":     {Zh: "前面没有人，请留意叫号", En: "No one ahead: watch the display"},
	"result.eta":            {Zh: "预计等待约 %d 分钟", En: "Estimated wait: about %d min"},
	"result.materials":      {Zh: "请备齐以下材料（一次告知）", En: "Please have ready"},
	"result.scan":           {Zh: "手机扫码，随时查看排队进度", En: "Scan with your phone to follow your turn"},
	"result.printed":        {Zh: "请取走小票", En: "Please take your ticket"},
	"result.touch":          {Zh: "轻触屏幕返回首页", En: "Touch the screen to finish"},
	"result.priority":       {Zh: "绿色通道", En: "Priority lane"},
	"print.failed":          {Zh: "小票未能打印：%s。您的号码有效，请用手机拍下或扫描此二维码。", En: "The ticket could not be printed: %s. Your number is valid: photograph or scan this code."},
	"sentence.sep":          {Zh: "。", En: ". "},
	"home.printer":          {Zh: "暂时无法打印小票：%s。仍可取号，号码会显示在屏幕上，请用手机拍下。", En: "Tickets cannot be printed now: %s. You can still take a number: it is shown on the screen for you to photograph."},
	"print.failed.receipt":  {Zh: "回执未能打印：%s。请用手机拍下此屏幕（编号和二维码）。", En: "The receipt could not be printed: %s. Take a photo of this screen (the number and the code)."},
	"print.paper_out":       {Zh: "打印机缺纸", En: "the printer is out of paper"},
	"print.cover_open":      {Zh: "打印机盖未合上", En: "the printer cover is open"},
	"print.offline":         {Zh: "打印机未连接", En: "the printer is not connected"},
	"print.error":           {Zh: "打印机故障", En: "the printer has a fault"},
	"print.staff":           {Zh: "已通知工作人员", En: "Staff have been told"},
	"oos.title":             {Zh: "暂停自助取号", En: "Self-service is paused"},
	"oos.connecting":        {Zh: "正在连接服务系统…", En: "Connecting to the hall system…"},
	"oos.body":              {Zh: "系统暂时无法连接，本机不会发出号码。", En: "The hall system cannot be reached; this kiosk issues no numbers now."},
	"oos.retry":             {Zh: "正在自动重试，恢复后即可使用", En: "Retrying automatically: it comes back by itself"},
	"oos.request":           {Zh: "仍可在此登记咨询、投诉或建议", En: "You can still log a question, complaint or suggestion here"},
	"err.full":              {Zh: "该业务今日号已取完，请咨询服务台", En: "This service has no more numbers today: please ask at the desk"},
	"err.closed":            {Zh: "该业务现在暂停取号，请留意开始办理时间", En: "This service is not issuing numbers now: see when it opens"},
	"err.rejected":          {Zh: "未能取号，请咨询服务台", En: "No number could be issued: please ask at the desk"},
	"req.kind.title":        {Zh: "您想办理哪一类？", En: "What would you like to do?"},
	"kind.consultation":     {Zh: "咨询", En: "Ask a question"},
	"kind.consultation.sub": {Zh: "政策、流程、材料", En: "Rules, procedures, documents"},
	"kind.complaint":        {Zh: "投诉", En: "Make a complaint"},
	"kind.complaint.sub":    {Zh: "服务或事项未办好", En: "Something was not done right"},
	"kind.suggestion":       {Zh: "建议", En: "Make a suggestion"},
	"kind.suggestion.sub":   {Zh: "让我们做得更好", En: "Help us do better"},
	"req.topic.title":       {Zh: "请选择相关事项", En: "Choose the topic"},
	"req.confirm.title":     {Zh: "确认提交", En: "Confirm"},
	"req.confirm.body":      {Zh: "%s：%s", En: "%s: %s"},
	"req.phone":             {Zh: "留下电话（可选）", En: "Leave a phone number (optional)"},
	"req.phone.sub":         {Zh: "承办部门可能给您回电", En: "The department may call you back"},
	"req.phone.set":         {Zh: "回电号码 %s（轻触修改）", En: "Call-back number %s (touch to change)"},
	"req.phone.title":       {Zh: "请输入手机号码，承办部门可能给您回电", En: "Your phone number: the department may call you back"},
	"req.phone.note":        {Zh: "仅承办部门可见；不填也可以", En: "Only the department handling it sees it; you may leave it empty"},
	"req.phone.ok":          {Zh: "确定", En: "Done"},
	"req.phone.short":       {Zh: "号码不完整，请输入完整号码或清除", En: "The number is incomplete: type all of it or clear it"},
	"req.submit":            {Zh: "提交", En: "Submit"},
	"req.submit.sub":        {Zh: "打印回执，手机扫码补充说明", En: "Print a receipt; add details on your phone"},
	"req.submit.ticket":     {Zh: "提交并取号", En: "Submit and take a number"},
	"req.submit.ticket.sub": {Zh: "需要到窗口当面说明", En: "I want to talk to someone at a counter"},
	"req.submitting":        {Zh: "正在提交…", En: "Sending…"},
	"req.done.title":        {Zh: "已受理", En: "Received"},
	"req.done.number":       {Zh: "受理编号 %s", En: "Case No. %s"},
	"req.done.scan":         {Zh: "扫码可在手机上补充详情、跟踪办理", En: "Scan to add details on your phone and follow the reply"},
	"req.done.promise":      {Zh: "我们将在 24 小时内答复", En: "We reply within 24 hours"},
	"req.done.due":          {Zh: "答复期限 %s", En: "Reply by %s"},
	"req.queued.title":      {Zh: "已登记", En: "Saved"},
	"req.queued.body":       {Zh: "系统暂时无法连接。您的诉求已保存在本机，恢复后自动提交，不会丢失。", En: "The hall system cannot be reached. Your request is saved on this kiosk and will be sent automatically when it is back."},
	"req.queued.ref":        {Zh: "登记号 %s（请拍照留存，可到服务台查询）", En: "Reference %s (take a photo; the desk can look it up)"},
	"req.queued.scan":       {Zh: "提交成功后，扫码可补充详情、跟踪办理", En: "Once it is delivered, scan to add details and follow it"},
	"slip.queued":           {Zh: "上方为本机登记号。系统恢复后自动提交，提交后扫码可查看受理编号和办理进度。", En: "Above: this kiosk's reference. It is sent when the hall system is back; then scan the code for the case number and progress."},
	"req.unsaved.title":     {Zh: "未能登记", En: "Not logged"},
	"req.unsaved.body":      {Zh: "本机无法保存您的诉求，系统也暂时无法连接，这次登记没有成功。", En: "This kiosk could not save your request and cannot reach the hall system: it was not logged."},
	"req.unsaved.counter":   {Zh: "请到人工窗口办理，工作人员会为您登记。", En: "Please go to a staffed counter: staff will log it for you."},
	"req.ticket":            {Zh: "您的排队号码 %s", En: "Your queue number %s"},
	"slip.receipt.other":    {Zh: "查看排队进度请扫号票上的二维码", En: "To follow your turn, scan the code on your queue ticket"},
	"slip.ticket.other":     {Zh: "跟踪诉求办理请扫受理回执上的二维码", En: "To follow your request, scan the code on your case receipt"},
	"req.done.qr.ticket":    {Zh: "排队进度：扫号票上的二维码", En: "Your turn: scan the code on the queue ticket"},
	"pin.title":             {Zh: "工作人员退出：请输入密码", En: "Staff exit: enter the PIN"},
	"pin.wrong":             {Zh: "密码错误", En: "Wrong PIN"},
	"pin.locked":            {Zh: "错误次数过多，请稍后再试", En: "Too many wrong PINs: try again later"},
	"pin.exit":              {Zh: "退出", En: "Exit"},
}

// T returns the catalogue string m in lang ("zh" or "en"), formatted with args.
func T(lang string, m Msg, args ...any) string {
	t, ok := catalog[m]
	if !ok {
		return string(m)
	}
	s := t.In(lang)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
