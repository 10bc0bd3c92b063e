package http

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/http/open311"
)

// Open311 client keys of the tests.
const (
	keyWeChat  = "test-open311-wechat"
	keyHotline = "test-open311-hotline"
)

// newOpen311Env is a case env whose server knows two Open311 clients.
func newOpen311Env(t *testing.T) *caseEnv {
	t.Helper()
	e := newCaseEnv(t)
	e.srv.Close()
	e.ts.Close()
	e.ts = httptest.NewUnstartedServer(nil)
	e.srv = NewServer(Config{Queue: e.q, Events: e.q, Auth: e.auth, Campus: e.campus, PublicURL: "http://" + e.ts.Listener.Addr().String(),
		Cases: e.cs, Open311Keys: map[string]string{keyWeChat: "wechat", keyHotline: "hotline"}})
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	return e
}

// form posts form-encoded values.
func (e *caseEnv) form(path string, v url.Values, hdr ...string) response {
	e.t.Helper()
	return e.do("POST", path, "", v.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, hdr...)...)
}

// open311Err checks an Open311 error answer: the status and [{code, description}].
func open311Err(t *testing.T, r response, status int) string {
	t.Helper()
	var errs []open311.Error
	if r.status != status || json.Unmarshal(r.body, &errs) != nil || len(errs) != 1 || errs[0].Code != status || errs[0].Description == "" {
		t.Fatalf("want Open311 error %d, got %d %s", status, r.status, r.body)
	}
	return errs[0].Description
}

// checkSchema validates an answer against a schema of openapi.json.
func checkSchema(t *testing.T, body []byte, schema string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", schema, err)
	}
	s := loadSpec(t)
	if err := s.validate(schema, v); err != nil {
		t.Fatalf("answer does not match %s: %v\n%s", schema, err, body)
	}
}

func TestOpen311Services(t *testing.T) {
	e := newOpen311Env(t)
	r := e.do("GET", "/open311/v2/services.json", "", nil)
	var svcs []open311.Service
	r.decode(t, &svcs)
	cat, _ := e.cs.Catalogue(t.Context())
	if r.status != 200 || len(svcs) != len(cat.Categories) {
		t.Fatalf("services: %d, %d of %d", r.status, len(svcs), len(cat.Categories))
	}
	checkSchema(t, r.body, "Open311ServiceList")
	var lib *open311.Service
	for i := range svcs {
		if svcs[i].Metadata || svcs[i].Type != "realtime" || svcs[i].ServiceCode == "" || svcs[i].ServiceName == "" || svcs[i].Group == "" {
			t.Fatalf("service %+v", svcs[i])
		}
		if svcs[i].ServiceCode == "library-seats" {
			lib = &svcs[i]
		}
	}
	k, _ := cat.Category("library-seats")
	if lib == nil || lib.ServiceName != k.Name.Zh || lib.Description != k.Scope.Zh || lib.Keywords != strings.Join(k.Keywords, ",") ||
		lib.Group != e.srv.departmentName("library").Zh {
		t.Fatalf("library-seats: %+v", lib)
	}
	for _, q := range []string{"?locale=en", ""} {
		var hdr []string
		if q == "" {
			hdr = []string{"Accept-Language", "en-GB,en;q=0.8"}
		}
		r = e.do("GET", "/open311/v2/services.json"+q, "", nil, hdr...)
		var en []open311.Service
		r.decode(t, &en)
		if len(en) != len(svcs) || en[8].ServiceName != cat.Categories[8].Name.En {
			t.Fatalf("English names (%s): %s", q, r.body)
		}
	}

	r = e.do("GET", "/open311/v2/services/library-seats.json", "", nil)
	if r.status != 200 || string(r.body) != `{"service_code":"library-seats","attributes":[]}`+"\n" {
		t.Fatalf("definition: %d %s", r.status, r.body)
	}
	checkSchema(t, r.body, "Open311ServiceDefinition")
	open311Err(t, e.do("GET", "/open311/v2/services/nothing.json", "", nil), 404)
	open311Err(t, e.do("GET", "/open311/v2/services/library-seats.yaml.json", "", nil), 404)
	for _, path := range []string{"/open311/v2/services/library-seats.xml", "/open311/v2/services/library-seats"} {
		r = e.do("GET", path, "", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "text/xml; charset=utf-8" ||
			!strings.Contains(string(r.body), "<service_definition><service_code>library-seats</service_code><attributes></attributes></service_definition>") {
			t.Fatalf("XML definition %s: %d %s", path, r.status, r.body)
		}
	}
	r = e.do("GET", "/open311/v2/services", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "<services><service><service_code>") || strings.Count(string(r.body), "<service>") != len(cat.Categories) {
		t.Fatalf("XML services: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/open311/discovery.json", "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "/open311/v2") {
		t.Fatalf("discovery: %d %s", r.status, r.body)
	}
	checkSchema(t, r.body, "Open311Discovery")
}

func TestOpen311PostAndGet(t *testing.T) {
	e := newOpen311Env(t)
	post := url.Values{"api_key": {keyWeChat}, "jurisdiction_id": {"test.edu.cn"}, "service_code": {"library-seats"},
		"description": {"三楼自习室有人长期用书占座"}, "first_name": {"三"}, "last_name": {"张"}, "email": {"zhangsan@example.edu.cn"},
		"phone": {"13812345678"}, "account_id": {"2023123456"}, "address_string": {"图书馆三楼"}, "attribute[x]": {"ignored"}}
	r := e.form("/open311/v2/requests.json", post, "Idempotency-Key", "wx-1")
	if r.status != 201 {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	checkSchema(t, r.body, "Open311Created")
	var created []open311.Created
	r.decode(t, &created)
	if len(created) != 1 || created[0].ServiceRequestID == "" || created[0].AccountID != "2023123456" ||
		!strings.Contains(created[0].ServiceNotice, created[0].ServiceRequestID) || !strings.Contains(created[0].FollowURL, "/c/") {
		t.Fatalf("created %s", r.body)
	}
	num := created[0].ServiceRequestID
	c, err := e.cs.Get(t.Context(), num)
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != hall.ChannelAPI || c.Source != "open311:wechat" || c.Category != "library-seats" || c.Department != "library" ||
		c.Kind != hall.KindComplaint || c.Requester.Name != "张三" || c.Requester.Phone != "13812345678" ||
		c.Requester.Email != "zhangsan@example.edu.cn" || c.Requester.PersonID != "2023123456" ||
		!strings.HasPrefix(c.Text, "三楼自习室有人长期用书占座") || !strings.Contains(c.Text, "图书馆三楼") || c.Place == nil || c.Place.Address != "图书馆三楼" {
		t.Fatalf("case %+v", c)
	}
	// A retry with the same key gives the same case.
	r = e.form("/open311/v2/requests.json", post, "Idempotency-Key", "wx-1")
	var again []open311.Created
	r.decode(t, &again)
	if r.status != 201 || again[0].ServiceRequestID != num {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	// JSON works too, in English; the other client and a staff token may post.
	r = e.do("POST", "/open311/v2/requests.json", "", map[string]any{"api_key": keyHotline, "service_code": "library-seats",
		"description": "Someone hogs seats", "lat": 39.9, "long": 116.3, "locale": "en", "kind": "suggestion"})
	var other []open311.Created
	r.decode(t, &other)
	if r.status != 201 || !strings.HasPrefix(other[0].ServiceNotice, "Received as") {
		t.Fatalf("JSON post: %d %s", r.status, r.body)
	}
	if oc, _ := e.cs.Get(t.Context(), other[0].ServiceRequestID); oc.Kind != hall.KindSuggestion || !strings.Contains(oc.Text, "39.900000, 116.300000") ||
		!oc.Requester.Anonymous || oc.Place == nil || *oc.Place.Lat != 39.9 || *oc.Place.Long != 116.3 {
		t.Fatalf("JSON case %+v", oc)
	}
	sup := e.login("supervisor")
	r = e.do("POST", "/open311/v2/requests.json", sup, url.Values{"service_code": {"library-seats"}, "description": {"热线来电"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	var bySup []open311.Created
	r.decode(t, &bySup)
	if r.status != 201 {
		t.Fatalf("staff post: %d %s", r.status, r.body)
	}
	kioskCase := e.openKiosk(map[string]any{"kind": "complaint", "category": "library-seats", "text": "kiosk case"}, "")

	// GET: the client sees its own case, public fields only.
	r = e.do("GET", "/open311/v2/requests.json?api_key="+keyWeChat, "", nil)
	checkSchema(t, r.body, "Open311RequestList")
	var list []open311.Request
	r.decode(t, &list)
	if r.status != 200 || len(list) != 1 || list[0].ServiceRequestID != num || list[0].Status != "open" ||
		list[0].ServiceCode != "library-seats" || list[0].AgencyResponsible == "" || list[0].ExpectedDatetime == "" ||
		!strings.HasSuffix(list[0].RequestedDatetime, "+08:00") {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	for _, leak := range []string{"13812345678", "zhangsan", "2023123456", "张三", "wechat", "requester"} {
		if strings.Contains(string(r.body), leak) {
			t.Fatalf("GET requests leaks %q: %s", leak, r.body)
		}
	}
	if list[0].Description != "三楼自习室有人长期用书占座" || list[0].Address != "图书馆三楼" {
		t.Fatalf("keyed view: the description as posted and the address: %s", r.body)
	}
	// Without a key: the public records of published cases (the complaint, the suggestion), no text,
	// no address, never the consultation... and no requester.
	r = e.do("GET", "/open311/v2/requests.json", "", nil)
	checkSchema(t, r.body, "Open311RequestList")
	var pub []open311.Request
	r.decode(t, &pub)
	seen := map[string]open311.Request{}
	for _, p := range pub {
		seen[p.ServiceRequestID] = p
	}
	if r.status != 200 || seen[num].Status != "open" || seen[num].ServiceCode != "library-seats" || seen[num].Description != "" || seen[num].Address != "" {
		t.Fatalf("public list: %d %s", r.status, r.body)
	}
	if sg := seen[other[0].ServiceRequestID]; sg.Lat == nil || *sg.Lat != 39.9 || *sg.Long != 116.3 {
		t.Fatalf("public point: %s", r.body)
	}
	for _, leak := range []string{"13812345678", "zhangsan", "2023123456", "张三", "wechat", "占座", "图书馆三楼", "Someone", "热线来电", "kiosk case"} {
		if strings.Contains(string(r.body), leak) {
			t.Fatalf("public GET requests shows %q: %s", leak, r.body)
		}
	}
	r = e.do("GET", "/open311/v2/requests/"+num, "", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "<service_requests><request><service_request_id>"+num+"</service_request_id><status>open</status>") ||
		strings.Contains(string(r.body), "占座") {
		t.Fatalf("public XML request: %d %s", r.status, r.body)
	}
	// The other client sees neither this case nor the kiosk's.
	r = e.do("GET", "/open311/v2/requests.json?api_key="+keyHotline, "", nil)
	if strings.Contains(string(r.body), num) || strings.Contains(string(r.body), kioskCase.Number) {
		t.Fatalf("other client sees: %s", r.body)
	}
	open311Err(t, e.do("GET", "/open311/v2/requests/"+num+".json?api_key="+keyHotline, "", nil), 404)
	// The supervisor sees everything.
	r = e.do("GET", "/open311/v2/requests.json", sup, nil)
	if !strings.Contains(string(r.body), num) || !strings.Contains(string(r.body), kioskCase.Number) {
		t.Fatalf("supervisor list: %s", r.body)
	}

	// The library replies: closed, status_notes is the reply.
	lib := e.login("h-library")
	for _, a := range []string{"sign", "reply"} {
		if r := e.do("POST", "/api/v1/cases/"+num+"/"+a, lib, map[string]string{"text": "已增加巡查并上线占座举报功能"}); r.status != 200 {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	r = e.do("GET", "/open311/v2/requests/"+num+".json", "", nil, "Authorization", "Bearer "+keyWeChat)
	var one []open311.Request
	r.decode(t, &one)
	if r.status != 200 || len(one) != 1 || one[0].Status != "closed" || one[0].StatusNotes != "已增加巡查并上线占座举报功能" || one[0].ExpectedDatetime != "" {
		t.Fatalf("after reply: %d %s", r.status, r.body)
	}
	checkSchema(t, r.body, "Open311RequestList")
	for q, want := range map[string]int{"status=open": 0, "status=closed": 1, "status=open,closed": 1,
		"service_code=campus-network": 0, "service_code=library-seats,campus-network": 1, "service_request_id=" + num + ",JS-NONE": 1} {
		r = e.do("GET", "/open311/v2/requests.json?api_key="+keyWeChat+"&"+q, "", nil)
		var l []open311.Request
		r.decode(t, &l)
		if r.status != 200 || len(l) != want {
			t.Fatalf("%s: %d, %d results (want %d) %s", q, r.status, len(l), want, r.body)
		}
	}
	today := time.Now().In(e.srv.campusLoc()).Format("2006-01-02")
	r = e.do("GET", "/open311/v2/requests.json?api_key="+keyWeChat+"&start_date="+today+"&end_date="+today, "", nil)
	if !strings.Contains(string(r.body), num) {
		t.Fatalf("today's range: %s", r.body)
	}
	r = e.do("GET", "/open311/v2/requests.json?api_key="+keyWeChat+"&end_date=2020-01-01T00:00:00Z", "", nil)
	if string(r.body) != "[]\n" {
		t.Fatalf("old range: %s", r.body)
	}
}

func TestOpen311Errors(t *testing.T) {
	e := newOpen311Env(t)
	ok := url.Values{"api_key": {keyWeChat}, "service_code": {"library-seats"}, "description": {"x"}}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range ok {
			c[kk] = vv
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	before := e.cs.LastSeq()
	for name, tc := range map[string]struct {
		v      url.Values
		status int
	}{
		"no key":        {with("api_key", ""), 403},
		"bad key":       {with("api_key", "nope"), 403},
		"device key":    {with("api_key", kioskStudents), 403},
		"no code":       {with("service_code", ""), 400},
		"unknown code":  {with("service_code", "nothing"), 404},
		"long text":     {with("description", strings.Repeat("长", 4001)), 400},
		"bad email":     {with("email", "not-an-address"), 400},
		"bad phone":     {with("phone", "call me"), 400},
		"bad kind":      {with("kind", "praise"), 400},
		"half location": {with("lat", "39.9"), 400},
		"bad media":     {with("media_url", "javascript:alert(1)"), 400},
	} {
		t.Run(name, func(t *testing.T) { open311Err(t, e.form("/open311/v2/requests.json", tc.v), tc.status) })
	}
	open311Err(t, e.do("POST", "/open311/v2/requests.json", "", "<xml/>", "Content-Type", "text/xml"), 400)
	open311Err(t, e.do("POST", "/open311/v2/requests.json", "", `{"api_key":`), 400)
	open311Err(t, e.do("POST", "/open311/v2/requests.json", "", strings.Repeat("a=b&", 20000), "Content-Type", "application/x-www-form-urlencoded"), 413)
	if e.cs.LastSeq() != before {
		t.Fatal("a refused request changed the case log")
	}
	open311Err(t, e.do("GET", "/open311/v2/requests.json?api_key=nope", "", nil), 403)
	open311Err(t, e.do("GET", "/open311/v2/requests/JS20260101-0001.json", "", nil), 404)
	open311Err(t, e.do("GET", "/open311/v2/requests/JS20260101-0001.json?api_key="+keyWeChat, "", nil), 404)
	open311Err(t, e.do("GET", "/open311/v2/nothing.json", "", nil), 404)
	open311Err(t, e.do("DELETE", "/open311/v2/requests.json", "", nil), 405)
	for path, status := range map[string]int{"/open311/v2/nothing": 404, "/open311/v2/requests/JS20260101-0001.xml": 404, "/open311/v2/services/x.yaml": 400} {
		r := e.do("GET", path, "", nil)
		if r.status != status || !strings.Contains(string(r.body), "<errors><error><code>"+strconv.Itoa(status)+"</code><description>") {
			t.Fatalf("%s: %d %s, want an XML Open311 error", path, r.status, r.body)
		}
	}
	for _, q := range []string{"start_date=2026-01-01&end_date=2026-06-01", "start_date=yesterday", "status=pending",
		"start_date=2026-02-01&end_date=2026-01-01"} {
		open311Err(t, e.do("GET", "/open311/v2/requests.json?api_key="+keyWeChat+"&"+q, "", nil), 400)
	}
	checkSchema(t, e.do("GET", "/open311/v2/requests.json?api_key=nope", "", nil).body, "Open311Errors")
	// Without a case system: 503 in Open311 form.
	plain := newEnv(t)
	open311Err(t, plain.do("GET", "/open311/v2/services.json", "", nil), 503)
}
