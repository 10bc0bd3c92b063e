package open311

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// xmlDoc is an answer read back with encoding/xml: the root's name and its elements.
type xmlDoc struct {
	XMLName xml.Name
	Items   []struct {
		XMLName xml.Name
		Fields  []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:",any"`
}

// field returns the value of the named element of item i ("" when absent).
func (d *xmlDoc) field(i int, name string) string {
	for _, f := range d.Items[i].Fields {
		if f.XMLName.Local == name {
			return f.Value
		}
	}
	return ""
}

func readXML(t *testing.T, body, root string) *xmlDoc {
	t.Helper()
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %s", body)
	}
	var d xmlDoc
	if err := xml.Unmarshal([]byte(body), &d); err != nil || d.XMLName.Local != root {
		t.Fatalf("want <%s>: %v\n%s", root, err, body)
	}
	return &d
}

func fakeServer(t *testing.T) (*httptest.Server, *fakeCases) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cs := &fakeCases{cases: map[string]*hall.Case{}}
	ts := mount(t, Config{Cases: func() (hall.CaseService, error) { return cs, nil }, Keys: map[string]string{"key-of-the-app-0001": "app"},
		Campus: fakeCampus{}, Staff: noStaff{}, PublicURL: "https://onedoor.test", Wire: testWire(), Now: func() time.Time { return now }})
	return ts, cs
}

// TestOpen311XMLIsTheDefault: every resource answers XML with the spec's element names as .xml
// and without an extension, JSON as .json; errors follow the path's format.
func TestOpen311XMLIsTheDefault(t *testing.T) {
	ts, cs := fakeServer(t)
	for _, path := range []string{"/open311/v2/services.xml", "/open311/v2/services"} {
		code, body := call(t, "GET", ts.URL+path, nil)
		d := readXML(t, body, "services")
		if code != 200 || len(d.Items) != 1 || d.Items[0].XMLName.Local != "service" || d.field(0, "service_code") != "wifi" ||
			d.field(0, "metadata") != "false" || d.field(0, "group") != "部门 it" {
			t.Fatalf("%s: %d %s", path, code, body)
		}
	}
	code, body := call(t, "GET", ts.URL+"/open311/v2/services/wifi", nil)
	if code != 200 || !strings.Contains(body, "<service_definition><service_code>wifi</service_code><attributes></attributes></service_definition>") {
		t.Fatalf("definition: %d %s", code, body)
	}
	code, body = call(t, "GET", ts.URL+"/open311/discovery.xml", nil)
	if d := readXML(t, body, "discovery"); code != 200 || !strings.Contains(body, "<formats><format>text/xml</format><format>application/json</format></formats>") ||
		!strings.Contains(body, "<url>https://onedoor.test/open311/v2</url>") || len(d.Items) != 4 {
		t.Fatalf("discovery: %d %s", code, body)
	}

	post := url.Values{"api_key": {"key-of-the-app-0001"}, "service_code": {"wifi"}, "description": {"宿舍断网 & <没有> 信号"},
		"address_string": {"西区 7 号楼"}, "lat": {"39.90765"}, "long": {"116.39712"}, "media_url": {"https://img.example/1.jpg"}}
	code, body = call(t, "POST", ts.URL+"/open311/v2/requests", post)
	d := readXML(t, body, "service_requests")
	if code != 201 || len(d.Items) != 1 || d.Items[0].XMLName.Local != "request" || d.field(0, "service_request_id") != "JS20260302-0001" ||
		d.field(0, "follow_url") != "https://onedoor.test/c/tok" {
		t.Fatalf("post: %d %s", code, body)
	}
	c := cs.cases["JS20260302-0001"]
	if c.Place == nil || *c.Place.Lat != 39.90765 || *c.Place.Long != 116.39712 || c.Place.Address != "西区 7 号楼" || c.Place.MediaURL != "https://img.example/1.jpg" {
		t.Fatalf("place %+v", c.Place)
	}
	c.Kind = hall.KindComplaint

	// The keyed view: the text as posted (escaped in XML), the address, point and media link.
	code, body = call(t, "GET", ts.URL+"/open311/v2/requests/JS20260302-0001.xml?api_key=key-of-the-app-0001", nil)
	d = readXML(t, body, "service_requests")
	if code != 200 || d.field(0, "description") != "宿舍断网 & <没有> 信号" || d.field(0, "address") != "西区 7 号楼" ||
		d.field(0, "lat") != "39.90765" || d.field(0, "long") != "116.39712" || d.field(0, "media_url") != "https://img.example/1.jpg" ||
		!strings.Contains(body, "&lt;没有&gt;") {
		t.Fatalf("keyed get: %d %s", code, body)
	}
	code, body = call(t, "GET", ts.URL+"/open311/v2/requests.json?api_key=key-of-the-app-0001", nil)
	if code != 200 || !strings.Contains(body, `"lat":39.90765,"long":116.39712,"media_url":"https://img.example/1.jpg"`) ||
		!strings.Contains(body, `"address":"西区 7 号楼"`) {
		t.Fatalf("keyed JSON list: %d %s", code, body)
	}

	// Errors: XML without an extension or with .xml, JSON with .json.
	for _, tc := range []struct {
		method, path string
		status       int
		json         bool
	}{
		{"GET", "/open311/v2/services/nothing", 404, false},
		{"GET", "/open311/v2/services/nothing.xml", 404, false},
		{"GET", "/open311/v2/services/wifi.yaml", 400, false},
		{"GET", "/open311/v2/requests/JS20990101-0001", 404, false},
		{"POST", "/open311/v2/requests.xml", 403, false},
		{"GET", "/open311/v2/requests.xml?api_key=nope", 403, false},
		{"GET", "/open311/v3/services.xml", 404, false},
		{"GET", "/open311/", 404, false},
		{"PUT", "/open311/v2/services", 405, false},
		{"GET", "/open311/v2/nothing.json", 404, true},
	} {
		code, body := call(t, tc.method, ts.URL+tc.path, url.Values{})
		if tc.json {
			if code != tc.status || !strings.HasPrefix(body, `[{"code":`) {
				t.Errorf("%s %s: %d %s, want a JSON Open311 error", tc.method, tc.path, code, body)
			}
			continue
		}
		d := readXML(t, body, "errors")
		if code != tc.status || len(d.Items) != 1 || d.Items[0].XMLName.Local != "error" || d.field(0, "code") != strconv.Itoa(tc.status) ||
			d.field(0, "description") == "" {
			t.Errorf("%s %s: %d %s, want <errors><error><code>%d", tc.method, tc.path, code, body, tc.status)
		}
	}
}

// TestOpen311PublicRequests: without an api_key GET requests shows the cases the public rule
// publishes, with the fields it gives and no status notes; a bad key is still refused.
func TestOpen311PublicRequests(t *testing.T) {
	ts, cs := fakeServer(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cs.cases["JS20260301-0001"] = &hall.Case{ID: "case-1", Number: "JS20260301-0001", Kind: hall.KindComplaint, State: hall.CaseReplied,
		Category: "wifi", Department: "it", Text: "张三的宿舍断网", Source: "open311:app", ReceivedAt: at, UpdatedAt: at,
		Replies: []hall.Reply{{Text: "已修好张三的网"}}, Requester: hall.Requester{Name: "张三", Phone: "13812345678"}}
	cs.cases["JS20260301-0002"] = &hall.Case{ID: "case-2", Number: "JS20260301-0002", Kind: hall.KindConsultation, State: hall.CaseDispatched,
		Category: "wifi", Department: "it", Text: "我的账号", ReceivedAt: at, UpdatedAt: at}
	for _, path := range []string{"/open311/v2/requests", "/open311/v2/requests.xml"} {
		code, body := call(t, "GET", ts.URL+path, nil)
		d := readXML(t, body, "service_requests")
		if code != 200 || len(d.Items) != 1 || d.field(0, "service_request_id") != "JS20260301-0001" || d.field(0, "status") != "closed" ||
			d.field(0, "service_name") != "校园网" {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		for _, leak := range []string{"张三", "1381", "JS20260301-0002", "open311:app", "status_notes", "<description>", "部门"} {
			if strings.Contains(body, leak) {
				t.Fatalf("public list shows %q: %s", leak, body)
			}
		}
	}
	if code, body := call(t, "GET", ts.URL+"/open311/v2/requests/JS20260301-0001.json", nil); code != 200 || !strings.Contains(body, `"status":"closed"`) {
		t.Fatalf("public one: %d %s", code, body)
	}
	for _, id := range []string{"JS20260301-0002", "case-1"} { // not published; an internal ID
		if code, body := call(t, "GET", ts.URL+"/open311/v2/requests/"+id+".json", nil); code != 404 {
			t.Fatalf("public %s: %d %s", id, code, body)
		}
	}
	if code, body := call(t, "GET", ts.URL+"/open311/v2/requests.json?service_request_id=JS20260301-0001,JS20260301-0002", nil); code != 200 ||
		!strings.Contains(body, "JS20260301-0001") || strings.Contains(body, "JS20260301-0002") {
		t.Fatalf("public by ids: %d %s", code, body)
	}
	if code, _ := call(t, "GET", ts.URL+"/open311/v2/requests.json?api_key=wrong", nil); code != 403 {
		t.Fatalf("bad key: %d", code)
	}
	// The client's key shows its own case with the text and the reply.
	code, body := call(t, "GET", ts.URL+"/open311/v2/requests.json?api_key=key-of-the-app-0001", nil)
	if code != 200 || !strings.Contains(body, `"description":"张三的宿舍断网"`) || !strings.Contains(body, `"status_notes":"已修好张三的网"`) ||
		strings.Contains(body, "JS20260301-0002") || strings.Contains(body, "13812345678") {
		t.Fatalf("keyed: %d %s", code, body)
	}
}

// FuzzOpen311Post: whatever body and content type a client sends, the POST answers 201 with a
// case or a 4xx Open311 error, never a crash or a 5xx, and a refused request opens nothing.
func FuzzOpen311Post(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "api_key=key-of-the-app-0001&service_code=wifi&description=x&lat=1&long=2")
	f.Add("application/json", `{"api_key":"key-of-the-app-0001","service_code":"wifi","lat":39.9,"long":116.3,"media_url":"http://a/b"}`)
	f.Add("application/json", `{"api_key":"key-of-the-app-0001","service_code":"wifi","attribute":{"a":[1]}}`)
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nkey-of-the-app-0001\r\n--x--\r\n")
	f.Add("text/xml", "<service_request/>")
	f.Add("application/x-www-form-urlencoded", "api_key=key-of-the-app-0001&service_code=wifi&lat=NaN&long=1")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		cs := &fakeCases{cases: map[string]*hall.Case{}}
		h := New(Config{Cases: func() (hall.CaseService, error) { return cs, nil }, Keys: map[string]string{"key-of-the-app-0001": "app"},
			Campus: fakeCampus{}, Staff: noStaff{}, Wire: testWire()})
		mux := http.NewServeMux()
		add := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, h) }
		h.Register(add, add)
		for _, path := range []string{"/open311/v2/requests.json", "/open311/v2/requests"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			switch {
			case w.Code == 201:
				c := cs.cases["JS20260302-0001"]
				if c == nil || c.Source != "open311:app" {
					t.Fatalf("201 without a case: %s", w.Body)
				}
				if p := c.Place; p != nil && ((p.Lat == nil) != (p.Long == nil) || (p.Lat != nil && (*p.Lat != *p.Lat || *p.Lat < -90 || *p.Lat > 90))) {
					t.Fatalf("bad place stored: %+v", p)
				}
				delete(cs.cases, "JS20260302-0001")
			case w.Code >= 400 && w.Code < 500:
				if len(cs.cases) != 0 {
					t.Fatalf("a refused request opened a case: %d %s", w.Code, w.Body)
				}
				if !strings.Contains(w.Body.String(), "<code>") && !strings.Contains(w.Body.String(), `"code":`) {
					t.Fatalf("not an Open311 error: %d %s", w.Code, w.Body)
				}
			default:
				t.Fatalf("%s %q: %d %s", ctype, body, w.Code, w.Body)
			}
		}
	})
}
