package notify

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"onedoor/hallserver/hall"
)

// A notice is what one event says, before it is addressed.
type notice struct {
	title, body string
	dept        string   // the department told (its handlers, its robot)
	users       []string // told by name instead of the whole department (the owner)
	urgent      bool
	robot       bool // the department's robot too
}

// what returns what the event says and to whom, or ok false for events nobody is told of.
func what(ev hall.CaseEvent) (nt notice, ok bool) {
	c := ev.Case
	if c == nil {
		return notice{}, false
	}
	num := c.Number
	summary := c.Title
	if summary == "" {
		summary = c.Text
	}
	summary = clip(summary, 120)
	owner := func() []string {
		if c.Assignee != "" {
			return []string{c.Assignee}
		}
		return nil
	}
	switch ev.Type {
	case hall.CaseEvDispatched:
		return notice{title: "新案件 " + num, body: fmt.Sprintf("%s 已派至本部门，请签收办理。\n%s", num, summary),
			dept: ev.Department, robot: true}, ev.Department != "" && ev.Department != hall.OfficeDepartment
	case hall.CaseEvTriaged: // the office leads until it dispatches
		return notice{title: "待分派 " + num, body: fmt.Sprintf("%s 需要分派（未能自动派发）。\n%s", num, summary),
			dept: hall.OfficeDepartment, robot: true}, true
	case hall.CaseEvInvited:
		return notice{title: "协办案件 " + num, body: fmt.Sprintf("%s 请本部门协办。\n%s", num, summary),
			dept: ev.Department, robot: true}, ev.Department != ""
	case hall.CaseEvWarned:
		lim := "办结"
		due := c.Due
		if ev.Limit == "reply" {
			lim, due = "答复", c.ReplyDue
		}
		return notice{title: "即将超时 " + num, body: fmt.Sprintf("%s 的%s时限将于 %s 到期。\n%s", num, lim, due.Format("01-02 15:04"), summary),
			dept: ev.Department, users: owner(), robot: true}, ev.Department != ""
	case hall.CaseEvEscalated:
		return notice{title: "超时督办 " + num, body: fmt.Sprintf("%s 已超过时限（%s），请督办。\n%s", num, ev.Department, summary),
			dept: hall.OfficeDepartment, urgent: true, robot: true}, true
	case hall.CaseEvSupervised:
		if !c.Supervised {
			return notice{}, false
		}
		return notice{title: "督办 " + num, body: fmt.Sprintf("%s 已列入督办，请优先办理。\n%s", num, summary),
			dept: c.Department, users: owner(), urgent: true, robot: true}, c.Department != ""
	case hall.CaseEvDetails:
		return notice{title: "补充材料 " + num, body: fmt.Sprintf("%s 的诉求人补充了情况。\n%s", num, summary),
			dept: c.Department, users: owner()}, c.Department != ""
	case hall.CaseEvRated:
		if len(c.Ratings) == 0 || c.Ratings[len(c.Ratings)-1].Stars > 2 {
			return notice{}, false
		}
		r := c.Ratings[len(c.Ratings)-1]
		return notice{title: "不满意评价 " + num, body: fmt.Sprintf("%s 收到 %d 星评价。\n%s", num, r.Stars, clip(r.Comment, 120)),
			dept: c.Department, users: owner(), robot: true}, c.Department != ""
	}
	return notice{}, false
}

// notificationsOf addresses the event's notice: the department's handlers (or the owner) on
// WeChat Work and e-mail, the department's robot; a reply to an identified requester.
func (n *Notifier) notificationsOf(ctx context.Context, ev hall.CaseEvent, staff []hall.Staff, campus hall.Campus) []hall.Notification {
	base := hall.Notification{Seq: ev.Seq, Event: string(ev.Type), CreatedAt: n.cfg.Now()}
	if ev.Case != nil {
		base.Case, base.CaseID = ev.Case.Number, ev.Case.ID
		base.URL = n.cfg.PublicURL + "/cases?case=" + url.QueryEscape(ev.Case.Number)
	}
	if ev.Type == hall.CaseEvReplied && ev.Case != nil && n.cfg.Requester != nil && n.cfg.App != nil {
		if u := n.cfg.Requester(ctx, ev.Case); u != "" {
			x := base
			x.Channel, x.Recipient, x.To = hall.NoticeWecom, "requester", u
			x.Title, x.Body = "您的诉求已答复 "+ev.Case.Number, ev.Case.Number+" 已有答复，请查看。"
			x.URL = n.cfg.PublicURL + "/c/" + url.PathEscape(ev.Case.Token)
			x.Key = key(x)
			x.NextAt = x.CreatedAt
			return []hall.Notification{x}
		}
	}
	nt, ok := what(ev)
	if !ok {
		return nil
	}
	base.Title, base.Body, base.Department, base.Urgent = nt.title, nt.body, nt.dept, nt.urgent
	base.NextAt = n.notBefore(base.CreatedAt, nt, campus)
	var out []hall.Notification
	add := func(ch hall.NoticeChannel, recipient, to string) {
		if (ch == hall.NoticeWecom && n.cfg.App == nil) || (ch == hall.NoticeRobot && n.cfg.Robot == nil) ||
			(ch == hall.NoticeEmail && n.cfg.Mail == nil) {
			return // a channel not configured is not used
		}
		x := base
		x.Channel, x.Recipient, x.To = ch, recipient, to
		x.Key = key(x)
		out = append(out, x)
	}
	named := map[string]bool{}
	for _, u := range nt.users {
		named[u] = true
	}
	for _, s := range staff {
		if s.Disabled {
			continue
		}
		if len(named) > 0 {
			if !named[s.Username] {
				continue
			}
		} else if s.Department != nt.dept || (s.Role != hall.RoleHandler && s.Role != hall.RoleSupervisor) {
			continue
		}
		wu := s.WecomUser
		if wu == "" && n.cfg.Demo {
			wu = s.Username
		}
		if wu != "" {
			add(hall.NoticeWecom, s.Username, wu)
		}
		if s.Email != "" {
			add(hall.NoticeEmail, s.Username, s.Email)
		}
	}
	if nt.robot {
		for _, d := range campus.Departments {
			if d.Code == nt.dept && d.WecomRobot != "" {
				add(hall.NoticeRobot, d.Code, d.WecomRobot)
			}
		}
	}
	return out
}

func key(x hall.Notification) string {
	if x.Hall != "" {
		return fmt.Sprintf("%s:%d/%s/%s", x.Hall, x.Seq, x.Channel, x.Recipient)
	}
	return fmt.Sprintf("%d/%s/%s", x.Seq, x.Channel, x.Recipient)
}

// alertText is what a device alert says (the printer's state in words).
var alertText = map[string]string{
	hall.DevicePaperNearEnd: "打印纸将用完", hall.DevicePaperOut: "打印机缺纸", hall.DeviceCoverOpen: "打印机盖未合上",
	hall.DeviceOffline: "打印机离线", hall.DeviceError: "打印机故障",
}

// deviceNotifications addresses a raised device alert of a hall to the hall's counter staff
// (those allowed in it: their halls name it, or are empty) on WeChat Work and e-mail.
func (n *Notifier) deviceNotifications(code string, ev hall.Event, staff []hall.Staff, campus hall.Campus) []hall.Notification {
	if ev.Type != hall.EventDeviceAlert || ev.Alert == nil || ev.Alert.State != hall.AlertRaised {
		return nil
	}
	a := ev.Alert
	what := a.Kind
	switch a.Kind {
	case hall.AlertPrinter:
		what = alertText[a.Detail]
		if what == "" {
			what = "打印机异常 " + a.Detail
		}
	case hall.AlertSilent:
		what = "设备无心跳（离线）"
	case hall.AlertStorage:
		what = "自助机本地存储写入失败"
	case hall.AlertOutbox:
		what = fmt.Sprintf("自助机有 %d 条诉求未能上传", a.Pending)
	}
	hallName := code
	if h, ok := campus.Hall(code); ok && h.Name.Zh != "" {
		hallName = h.Name.Zh
	}
	dev := a.Name
	if dev == "" {
		dev = a.Device
	}
	base := hall.Notification{Seq: ev.Seq, Event: string(ev.Type), Hall: code, CreatedAt: n.cfg.Now(),
		Title: "设备告警 " + hallName, Body: fmt.Sprintf("%s · %s：%s", hallName, dev, what),
		URL: n.cfg.PublicURL + "/counter"}
	base.NextAt = base.CreatedAt
	var out []hall.Notification
	for _, s := range staff {
		if s.Disabled || s.Role != hall.RoleCounter {
			continue
		}
		if len(s.Halls) > 0 && !slices.Contains(s.Halls, code) {
			continue
		}
		wu := s.WecomUser
		if wu == "" && n.cfg.Demo {
			wu = s.Username
		}
		for _, c := range []struct {
			ch hall.NoticeChannel
			to string
			ok bool
		}{{hall.NoticeWecom, wu, n.cfg.App != nil}, {hall.NoticeEmail, s.Email, n.cfg.Mail != nil}} {
			if c.to == "" || !c.ok {
				continue
			}
			x := base
			x.Channel, x.Recipient, x.To = c.ch, s.Username, c.to
			x.Key = key(x)
			out = append(out, x)
		}
	}
	return out
}

// notBefore is when a notice may go: now, or the end of the department's quiet hours (urgent
// notices never wait).
func (n *Notifier) notBefore(now time.Time, nt notice, campus hall.Campus) time.Time {
	if nt.urgent {
		return now
	}
	loc, err := campus.Location()
	if err != nil {
		loc = time.UTC
	}
	for _, d := range campus.Departments {
		if d.Code == nt.dept && d.QuietHours != nil {
			if end, in := d.QuietHours.Until(now.In(loc)); in {
				return end
			}
		}
	}
	return now
}

// robotMarkdown is the robot post of a notification (markdown, what people typed escaped).
func robotMarkdown(x hall.Notification) string {
	color := "info"
	if x.Urgent {
		color = "warning"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**<font color=\"%s\">%s</font>**\n", color, mdEscape(x.Title))
	for _, line := range strings.Split(x.Body, "\n") {
		fmt.Fprintf(&b, "> %s\n", mdEscape(line))
	}
	if x.URL != "" {
		fmt.Fprintf(&b, "[查看案件 %s](%s)", mdEscape(x.Case), x.URL)
	}
	return b.String()
}

// mdEscape keeps text from making markdown or HTML of the robot's message.
func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "`", "\\`",
		"<", "&lt;", ">", "&gt;", "#", "\\#")
	return r.Replace(s)
}

// clip shortens s to n runes, with "…", and makes it one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
