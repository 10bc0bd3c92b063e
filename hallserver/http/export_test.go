package http

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"onedoor/hallserver/export"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// exportFile downloads an export and returns its rows: an XLSX opened with excelize (its only
// sheet; opts as GetRows takes them), a CSV checked for the BOM and parsed with encoding/csv.
// Rows are padded to the header's length.
func (e *env) exportFile(token, path string, opts ...excelize.Options) (rows [][]string, r response) {
	e.t.Helper()
	r = e.do("GET", path, token, nil)
	if r.status != 200 {
		e.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		e.t.Fatalf("GET %s: Content-Disposition %q", path, cd)
	}
	if strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		if !bytes.HasPrefix(r.body, []byte(export.BOM)) {
			e.t.Fatalf("GET %s: the CSV does not start with the UTF-8 BOM: %q", path, r.body[:min(8, len(r.body))])
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body[len(export.BOM):])).ReadAll()
		if err != nil {
			e.t.Fatalf("GET %s: CSV: %v", path, err)
		}
		return rows, r
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatalf("GET %s: XLSX: %v", path, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		e.t.Fatalf("GET %s: sheets %q", path, sheets)
	}
	rows, err = f.GetRows(sheets[0], opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows, r
}

// column returns the index of the header in the first row.
func column(t *testing.T, rows [][]string, header string) int {
	t.Helper()
	i := slices.Index(rows[0], header)
	if i < 0 {
		t.Fatalf("no column %q in %q", header, rows[0])
	}
	return i
}

// TestCaseExportEqualsTheList: the office's export of the case list (XLSX opened with excelize,
// CSV parsed) has one header row and one row per case of the same filter of GET
// /api/v1/cases, in its order, with the numbers, states, departments, times in the campus zone
// and the requester's phone; a text that would be a formula stays text; English headers with
// lang=en; the file name says what it is, in Chinese through filename*.
func TestCaseExportEqualsTheList(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	a := e.openKiosk(map[string]any{"hall": "students", "kind": "complaint", "category": "library-seats", "text": "三楼占座严重",
		"requester": map[string]any{"name": "王五", "phone": "13712345678", "personId": "2023123456"}}, "")
	e.openKiosk(map[string]any{"hall": "students", "text": "=HYPERLINK(\"http://evil\",\"校园网断线\")", "requester": map[string]any{"phone": "13900001111"}}, "")
	e.openTexts(waterTexts...)
	e.caseAct(lib, a.ID, "sign", nil)
	e.caseAct(lib, a.ID, "reply", map[string]string{"text": "已安排巡查"})

	var list wire.CaseList
	e.do("GET", "/api/v1/cases?limit=500", sup, nil).decode(t, &list)
	if list.Count < 6 {
		t.Fatalf("list has %d cases", list.Count)
	}
	xlsx, r := e.exportFile(sup, "/api/v1/cases/export?format=xlsx")
	if ct := r.header.Get("Content-Type"); ct != export.XLSX.ContentType() {
		t.Errorf("Content-Type %q", ct)
	}
	today := e.srv.now().In(e.srv.campusLoc()).Format("2006-01-02")
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename=cases-`+today+`.xlsx`) ||
		!strings.Contains(cd, "filename*=utf-8''"+strings.ToUpper("%e6%a1%88%e4%bb%b6%e6%b8%85%e5%8d%95")+"-"+today+".xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if len(xlsx) != list.Count+1 {
		t.Fatalf("XLSX has %d rows, the list %d cases", len(xlsx)-1, list.Count)
	}
	num, state, dept, recv, phone, pid, text := column(t, xlsx, "案件编号"), column(t, xlsx, "状态"), column(t, xlsx, "承办部门"),
		column(t, xlsx, "受理时间"), column(t, xlsx, "联系电话"), column(t, xlsx, "学工号"), column(t, xlsx, "诉求内容")
	cat := column(t, xlsx, "类别")
	loc := e.srv.campusLoc()
	for i, c := range list.Cases {
		row := xlsx[i+1]
		want := map[int]string{num: c.Number, state: staffLabels().Case[c.State].Zh, dept: e.srv.departmentName(c.Department).Zh,
			recv: c.ReceivedAt.In(loc).Format(export.TimeLayout), phone: c.Requester.Phone, pid: c.Requester.PersonID}
		for col, w := range want {
			if row[col] != w {
				t.Errorf("case %s, column %s: %q, the API says %q", c.Number, xlsx[0][col], row[col], w)
			}
		}
		if c.Category != "" && row[cat] != e.srv.categoryName(httptest.NewRequest("GET", "/", nil), c.Category).Zh {
			t.Errorf("case %s: category %q, the catalogue names %s otherwise", c.Number, row[cat], c.Category)
		}
		if c.Number == a.Number && row[cat] == "" {
			t.Errorf("case %s: no category", c.Number)
		}
		if strings.HasPrefix(c.Text, "=") && row[text] != "'"+c.Text {
			t.Errorf("a formula-like text is written %q", row[text])
		}
	}
	// the CSV holds the same rows
	csvRows, r := e.exportFile(sup, "/api/v1/cases/export?format=csv")
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV Content-Type %q", ct)
	}
	if !slices.EqualFunc(csvRows, xlsx, slices.Equal) {
		t.Errorf("CSV and XLSX differ:\n%q\n%q", csvRows, xlsx)
	}
	// the list's filters apply; English headers
	var open wire.CaseList
	e.do("GET", "/api/v1/cases?open=1&department=library", sup, nil).decode(t, &open)
	en, _ := e.exportFile(sup, "/api/v1/cases/export?format=csv&open=1&department=library&lang=en")
	if en[0][0] != "Number" || len(en) != open.Count+1 {
		t.Fatalf("filtered English export: %d rows for %d cases, header %q", len(en)-1, open.Count, en[0])
	}
	for i, c := range open.Cases {
		if en[i+1][0] != c.Number {
			t.Errorf("row %d: %s, the list %s", i+1, en[i+1][0], c.Number)
		}
	}
}

// TestCaseExportHidesWhatThePolicyHides: an assisting department's export holds the case it
// assists without the requester's name, phone or campus number (the policy masks them in its
// view); its own case's requester is there; another department's cases are not in it at all.
func TestCaseExportHidesWhatThePolicyHides(t *testing.T) {
	e := newCaseEnv(t)
	lib, it := e.login("h-library"), e.login("h-it")
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼有人长期占座",
		"requester": map[string]any{"name": "王小五", "phone": "13712345678", "personId": "2023123456"}}, "")
	own := e.openKiosk(map[string]any{"hall": "students", "text": "校园网晚上老是断线，宿舍根本连不上", "requester": map[string]any{"name": "李四", "phone": "13900001111"}}, "")
	other := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "图书馆空调太冷", "requester": map[string]any{"phone": "13800009999"}}, "")
	if own.Department != "it" {
		t.Fatalf("routed to %s", own.Department)
	}
	e.caseAct(lib, a.ID, "sign", nil)
	e.caseAct(lib, a.ID, "invite", map[string]string{"department": "it", "text": "查看监控"})
	for _, format := range []string{"csv", "xlsx"} {
		rows, r := e.exportFile(it, "/api/v1/cases/export?format="+format)
		byNum := map[string][]string{}
		for _, row := range rows[1:] {
			byNum[row[0]] = row
		}
		name, phone, pid := column(t, rows, "诉求人"), column(t, rows, "联系电话"), column(t, rows, "学工号")
		if len(rows) != 3 || byNum[a.Number] == nil || byNum[own.Number] == nil || byNum[other.Number] != nil {
			t.Fatalf("%s: IT's export lists %q", format, rows)
		}
		if got := byNum[a.Number]; got[name] != "" || got[phone] != "" || got[pid] != "" {
			t.Errorf("%s: the assisted case's requester is in IT's export: %q", format, got)
		}
		if got := byNum[own.Number]; got[name] != "李四" || got[phone] != "13900001111" {
			t.Errorf("%s: IT's own case lacks its requester: %q", format, got)
		}
		if format == "csv" {
			for _, leak := range []string{"13712345678", "2023123456", "王小五", "137****5678", "13800009999"} {
				if bytes.Contains(r.body, []byte(leak)) {
					t.Errorf("IT's CSV holds %q", leak)
				}
			}
		}
	}
	// the lead department sees its requester
	rows, _ := e.exportFile(lib, "/api/v1/cases/export?format=csv")
	found := false
	for _, row := range rows[1:] {
		if row[0] == a.Number {
			found = row[column(t, rows, "联系电话")] == "13712345678"
		}
	}
	if !found {
		t.Errorf("the lead department's export lacks its requester's phone: %q", rows)
	}
}

// TestCaseStatsExportEqualsTheAPI: the three rates per department in the XLSX (opened with
// excelize) and the CSV are the figures of GET /api/v1/cases/stats, department by department.
func TestCaseStatsExportEqualsTheAPI(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	e.openTexts(waterTexts...)
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	b := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "四楼也占座"}, "")
	e.caseAct(lib, a.ID, "sign", nil)
	e.caseAct(lib, a.ID, "reply", map[string]string{"text": "已安排巡查"})
	e.caseAct(lib, b.ID, "sign", nil)
	if r := e.do("POST", "/api/v1/case-follow/"+a.Token+"/rate", "", map[string]any{"stars": 5}); r.status != 200 {
		t.Fatalf("rate: %d %s", r.status, r.body)
	}
	var st wire.CaseStats
	e.do("GET", "/api/v1/cases/stats", sup, nil).decode(t, &st)
	if len(st.Departments) == 0 {
		t.Fatal("no stats")
	}
	for _, format := range []string{"xlsx", "csv"} {
		rows, _ := e.exportFile(sup, "/api/v1/cases/stats/export?format="+format, excelize.Options{RawCellValue: true})
		if len(rows) != len(st.Departments)+1 {
			t.Fatalf("%s: %d rows for %d departments", format, len(rows)-1, len(st.Departments))
		}
		for i, d := range st.Departments {
			row := rows[i+1]
			want := map[string]float64{"受理": float64(d.Received), "已响应": float64(d.Responded), "按时响应": float64(d.RespondedInTime),
				"已解决": float64(d.Resolved), "按时解决": float64(d.ResolvedInTime), "已评价": float64(d.Rated), "满意": float64(d.Satisfied),
				"超时": float64(d.Overdue), "退回": float64(d.Returned), "重办": float64(d.Reopened),
				"响应率": d.ResponseRate, "解决率": d.ResolutionRate, "满意率": d.SatisfactionRate}
			if row[0] != d.Department || row[1] != e.srv.departmentName(d.Department).Zh {
				t.Errorf("%s row %d: %q, the API's department %s", format, i+1, row[:2], d.Department)
			}
			for h, w := range want {
				if format == "xlsx" { // Excel keeps 15 significant digits of a number
					w, _ = strconv.ParseFloat(strconv.FormatFloat(w, 'g', 15, 64), 64)
				}
				got, err := strconv.ParseFloat(row[column(t, rows, h)], 64)
				if err != nil || got != w {
					t.Errorf("%s: %s %s = %q, the API says %v", format, d.Department, h, row[column(t, rows, h)], w)
				}
			}
		}
	}
	if lib := st.Departments[slices.IndexFunc(st.Departments, func(d hall.DepartmentStats) bool { return d.Department == "library" })]; lib.Resolved == 0 || lib.Rated == 0 {
		t.Fatalf("the sample has no resolved and rated library case: %+v", lib)
	}
}

// TestDailyExportEqualsTheAPI: the daily report's export has one row per case of its lists
// (arrived, closed, late), the numbers and lists of GET /api/v1/cases/daily.
func TestDailyExportEqualsTheAPI(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	e.openTexts(waterTexts...)
	a := e.openKiosk(map[string]any{"hall": "students", "category": "library-seats", "text": "三楼占座严重"}, "")
	e.caseAct(lib, a.ID, "sign", nil)
	e.caseAct(lib, a.ID, "reply", map[string]string{"text": "已安排巡查"})
	var rep hall.DailyReport
	e.do("GET", "/api/v1/cases/daily", sup, nil).decode(t, &rep)
	var want [][2]string
	for _, l := range []struct {
		name  string
		items []hall.CaseBrief
	}{{"新到", rep.Arrived}, {"办结", rep.Closed}, {"超时", rep.Late}} {
		for _, b := range l.items {
			want = append(want, [2]string{l.name, b.Number})
		}
	}
	if len(rep.Closed) == 0 || len(rep.Arrived) < 5 {
		t.Fatalf("daily report %+v", rep)
	}
	for _, format := range []string{"xlsx", "csv"} {
		rows, r := e.exportFile(sup, "/api/v1/cases/daily/export?format="+format)
		if !strings.Contains(r.header.Get("Content-Disposition"), "daily-"+rep.Date+"."+format) {
			t.Errorf("Content-Disposition %q", r.header.Get("Content-Disposition"))
		}
		var got [][2]string
		for _, row := range rows[1:] {
			if row[0] != rep.Date {
				t.Errorf("%s: date %q", format, row[0])
			}
			got = append(got, [2]string{row[1], row[2]})
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: rows %q, the report %q", format, got, want)
		}
	}
}

// TestExportRefusals: bad parameters are 400s naming the field; the roles of the lists apply.
func TestExportRefusals(t *testing.T) {
	e := newCaseEnv(t)
	sup, lib := e.login("supervisor"), e.login("h-library")
	for _, tc := range []struct {
		token, path string
		status      int
		field       string
	}{
		{sup, "/api/v1/cases/export", 400, "format"},
		{sup, "/api/v1/cases/export?format=pdf", 400, "format"},
		{sup, "/api/v1/cases/export?format=csv&lang=fr", 400, "lang"},
		{sup, "/api/v1/cases/export?format=csv&limit=0", 400, "limit"},
		{sup, fmt.Sprintf("/api/v1/cases/export?format=csv&limit=%d", maxCaseExport+1), 400, "limit"},
		{sup, "/api/v1/cases/export?format=csv&state=nope", 400, "state"},
		{sup, "/api/v1/cases/stats/export?format=xlsx&from=yesterday", 400, "from"},
		{sup, "/api/v1/cases/daily/export?format=csv&date=2026-13-01", 400, "date"},
		{lib, "/api/v1/cases/export?format=csv&department=it", 403, "department"},
		{lib, "/api/v1/cases/daily/export?format=csv", 403, ""},
		{"", "/api/v1/cases/export?format=csv", 401, ""},
		{kioskStudents, "/api/v1/cases/export?format=csv", 403, ""},
	} {
		r := e.do("GET", tc.path, tc.token, nil)
		if r.status != tc.status || r.apiError(t).Field != tc.field {
			t.Errorf("GET %s: %d %s, want %d naming %q", tc.path, r.status, r.body, tc.status, tc.field)
		}
	}
}
