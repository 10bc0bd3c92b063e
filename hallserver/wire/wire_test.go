package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// golden maps each answer captured from the server (testdata/, taken from the server before the
// wire types existed: cmd/hallserver -demo, one request each) to the type that carries it.
var golden = map[string]func() any{
	"hall_list.json":            func() any { return new(wire.HallList) },
	"hall.json":                 func() any { return new(wire.Hall) },
	"session.json":              func() any { return new(wire.Session) },
	"ticket_issued.json":        func() any { return new(wire.Ticket) },
	"ticket_issued2.json":       func() any { return new(wire.Ticket) },
	"ticket_issued3.json":       func() any { return new(wire.Ticket) },
	"ticket_called.json":        func() any { return new(wire.Ticket) },
	"ticket_serving.json":       func() any { return new(wire.Ticket) },
	"ticket_done.json":          func() any { return new(wire.Ticket) },
	"ticket_list.json":          func() any { return new(wire.TicketList) },
	"counter_answer.json":       func() any { return new(wire.CounterAnswer) },
	"counter_view.json":         func() any { return new(wire.CounterView) },
	"counter_view_request.json": func() any { return new(wire.CounterView) },
	"follow_waiting.json":       func() any { return new(wire.Follow) },
	"follow_serving.json":       func() any { return new(wire.Follow) },
	"follow_cancelled.json":     func() any { return new(wire.Follow) },
	"catalogue.json":            func() any { return new(wire.Catalogue) },
	"opened_case.json":          func() any { return new(wire.OpenedCase) },
	"case_follow.json":          func() any { return new(wire.CaseFollow) },
	"case_follow_details.json":  func() any { return new(wire.CaseFollow) },
	"case_list.json":            func() any { return new(wire.CaseList) },
	"case_stats.json":           func() any { return new(wire.CaseStats) },
	"related_list.json":         func() any { return new(wire.RelatedList) },
	"topics.json":               func() any { return new(wire.Topics) },
	"roadmap.json":              func() any { return new(wire.Roadmap) },
	"roadmap_item.json":         func() any { return new(wire.Roadmap) },
	"list_items.json":           func() any { return new(wire.ListItems) },
	"list_items_one.json":       func() any { return new(wire.ListItems) },
	"list_item.json":            func() any { return new(hall.ListItem) },
	"web_case.json":             func() any { return new(wire.WebCase) },
	"error.json":                func() any { return new(wire.ErrorBody) },
	"error_notfound.json":       func() any { return new(wire.ErrorBody) },
}

// TestGoldenRoundTrip decodes every captured answer strictly (an unknown field fails: a field the
// server sent that the type lacks) into its wire type, encodes it again and compares the two as
// JSON values: same names, same values, nothing added or dropped (omitempty kept as it was).
func TestGoldenRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(golden) {
		t.Errorf("%d files in testdata, %d in the table: keep them in step", len(files), len(golden))
	}
	for name, mk := range golden {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			v := mk()
			dec := json.NewDecoder(bytes.NewReader(in))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(in, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("round trip changed the JSON\n was %s\n now %s", bytes.TrimSpace(in), out)
			}
		})
	}
}

// TestTicketQueueFields: Position and EtaSeconds are present (also as 0) in an issue answer and
// absent otherwise; Ahead and Eta read them either way.
func TestTicketQueueFields(t *testing.T) {
	var issued, called wire.Ticket
	if err := json.Unmarshal([]byte(`{"id":"x","position":0,"etaSeconds":0}`), &issued); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&issued)
	if !bytes.Contains(b, []byte(`"position":0`)) || !bytes.Contains(b, []byte(`"etaSeconds":0`)) {
		t.Errorf("an issue answer lost its zero position or eta: %s", b)
	}
	b, _ = json.Marshal(&called)
	if bytes.Contains(b, []byte(`"position"`)) || bytes.Contains(b, []byte(`"etaSeconds"`)) {
		t.Errorf("a ticket without a queue place shows one: %s", b)
	}
	if called.Ahead() != 0 || called.Eta() != 0 {
		t.Errorf("Ahead, Eta of a ticket without them: %d, %d", called.Ahead(), called.Eta())
	}
	if err := json.Unmarshal([]byte(`{"position":3,"etaSeconds":420}`), &called); err != nil {
		t.Fatal(err)
	}
	if called.Ahead() != 3 || called.Eta() != 420 {
		t.Errorf("Ahead, Eta = %d, %d; want 3, 420", called.Ahead(), called.Eta())
	}
}

// TestErrorBody: the error object decodes into the hall error callers test with hall.ErrorCode.
func TestErrorBody(t *testing.T) {
	var b wire.ErrorBody
	if err := json.Unmarshal([]byte(`{"error":{"code":"unprocessable","message":"no such service","field":"service"}}`), &b); err != nil {
		t.Fatal(err)
	}
	e := b.Error.HallError()
	if hall.ErrorCode(e) != hall.EUNPROCESSABLE || hall.ErrorField(e) != "service" || hall.ErrorMessage(e) != "no such service" {
		t.Errorf("HallError = %#v", e)
	}
	out, _ := json.Marshal(wire.ErrorBody{Error: wire.ErrorDetail{Code: hall.ENOTFOUND, Message: "gone"}})
	if string(out) != `{"error":{"code":"not_found","message":"gone"}}` {
		t.Errorf("an error without a field: %s", out)
	}
}

// TestStatus: every code has its own status and CodeOf reads it back; answers without a JSON body
// from a gateway stand for unavailable, anything else unknown for internal.
func TestStatus(t *testing.T) {
	want := map[string]int{hall.EINVALID: 400, hall.EUNAUTHORIZED: 401, hall.EFORBIDDEN: 403, hall.ENOTFOUND: 404,
		wire.ETIMEOUT: 408, hall.ECONFLICT: 409, wire.ETOOLARGE: 413, hall.EUNPROCESSABLE: 422, wire.ETOOMANY: 429,
		hall.EINTERNAL: 500, hall.EUNAVAILABLE: 503}
	for code, status := range want {
		if got := wire.Status(code); got != status {
			t.Errorf("Status(%s) = %d, want %d", code, got, status)
		}
		if got := wire.CodeOf(status); got != code {
			t.Errorf("CodeOf(%d) = %s, want %s", status, got, code)
		}
	}
	if wire.Status("no such code") != 500 || wire.CodeOf(502) != hall.EUNAVAILABLE || wire.CodeOf(504) != hall.EUNAVAILABLE || wire.CodeOf(418) != hall.EINTERNAL {
		t.Error("unknown code or status")
	}
}
