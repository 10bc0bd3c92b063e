package bolt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// Append-style JSON encoders of the queue's hot records: the ticket and the event of every issue
// are encoded by the issuing goroutine on its way to the group commit (Prepare), so their cost is
// on the path of every ticket. They produce exactly the bytes encoding/json produces for
// hall.Ticket and hall.Event (queuejson_test.go compares them), without reflection, and an
// event's ticket is encoded once: its bytes are copied from the change's ticket when the two are
// the same.

// appendTicketJSON appends json.Marshal(t) to b.
func appendTicketJSON(b []byte, t *hall.Ticket) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, t.ID)
	b = append(b, `,"hall":`...)
	b = appendJSONString(b, t.Hall)
	b = append(b, `,"service":`...)
	b = appendJSONString(b, t.Service)
	b = append(b, `,"number":`...)
	b = appendJSONString(b, t.Number)
	b = append(b, `,"day":`...)
	b = appendJSONString(b, t.Day)
	if t.Token != "" {
		b = append(b, `,"token":`...)
		b = appendJSONString(b, t.Token)
	}
	b = append(b, `,"state":`...)
	b = appendJSONString(b, string(t.State))
	b = append(b, `,"priority":`...)
	b = strconv.AppendBool(b, t.Priority)
	if t.Lang != "" {
		b = append(b, `,"lang":`...)
		b = appendJSONString(b, t.Lang)
	}
	if t.PersonID != "" {
		b = append(b, `,"personId":`...)
		b = appendJSONString(b, t.PersonID)
	}
	if t.Channel != "" {
		b = append(b, `,"channel":`...)
		b = appendJSONString(b, t.Channel)
	}
	var err error
	b = append(b, `,"issuedAt":`...)
	if b, err = appendJSONTime(b, t.IssuedAt); err != nil {
		return nil, err
	}
	if t.Order != 0 {
		b = append(b, `,"order":`...)
		b = strconv.AppendInt(b, t.Order, 10)
	}
	if t.IssueOrder != 0 {
		b = append(b, `,"issueOrder":`...)
		b = strconv.AppendInt(b, t.IssueOrder, 10)
	}
	if t.Counter != 0 {
		b = append(b, `,"counter":`...)
		b = strconv.AppendInt(b, int64(t.Counter), 10)
	}
	if t.TargetCounter != 0 {
		b = append(b, `,"targetCounter":`...)
		b = strconv.AppendInt(b, int64(t.TargetCounter), 10)
	}
	for _, f := range [...]struct {
		key string
		at  *time.Time
	}{{`,"calledAt":`, t.CalledAt}, {`,"startedAt":`, t.StartedAt}, {`,"finishedAt":`, t.FinishedAt}} {
		if f.at != nil {
			b = append(b, f.key...)
			if b, err = appendJSONTime(b, *f.at); err != nil {
				return nil, err
			}
		}
	}
	if t.Outcome != "" {
		b = append(b, `,"outcome":`...)
		b = appendJSONString(b, string(t.Outcome))
	}
	if t.Calls != 0 {
		b = append(b, `,"calls":`...)
		b = strconv.AppendInt(b, int64(t.Calls), 10)
	}
	if t.NoShows != 0 {
		b = append(b, `,"noShows":`...)
		b = strconv.AppendInt(b, int64(t.NoShows), 10)
	}
	if len(t.Visits) > 0 {
		v, err := json.Marshal(t.Visits) // rare (transferred tickets)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"visits":`...)
		b = append(b, v...)
	}
	if t.CaseID != "" {
		b = append(b, `,"caseId":`...)
		b = appendJSONString(b, t.CaseID)
	}
	return append(b, '}'), nil
}

// appendEventJSON appends json.Marshal(ev) to b. ticket, when not nil, is the encoding of
// ev.Ticket (appendTicketJSON's), used instead of encoding it again.
func appendEventJSON(b []byte, ev *hall.Event, ticket []byte) ([]byte, error) {
	var err error
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, `,"hall":`...)
	b = appendJSONString(b, ev.Hall)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, string(ev.Type))
	b = append(b, `,"at":`...)
	if b, err = appendJSONTime(b, ev.At); err != nil {
		return nil, err
	}
	if ev.Actor != "" {
		b = append(b, `,"actor":`...)
		b = appendJSONString(b, ev.Actor)
	}
	if ev.Ticket != nil {
		b = append(b, `,"ticket":`...)
		if ticket != nil {
			b = append(b, ticket...)
		} else if b, err = appendTicketJSON(b, ev.Ticket); err != nil {
			return nil, err
		}
	}
	if ev.Counter != nil {
		if b, err = appendMarshal(b, `,"counter":`, ev.Counter); err != nil {
			return nil, err
		}
	}
	if len(ev.Waiting) > 0 {
		b = append(b, `,"waiting":{`...)
		keys := make([]string, 0, 8)
		for k := range ev.Waiting {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(ev.Waiting[k]), 10)
		}
		b = append(b, '}')
	}
	if ev.Device != nil {
		if b, err = appendMarshal(b, `,"device":`, ev.Device); err != nil {
			return nil, err
		}
	}
	if ev.Notice != nil {
		if b, err = appendMarshal(b, `,"notice":`, ev.Notice); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendMarshal appends key and json.Marshal(v): the rare fields.
func appendMarshal(b []byte, key string, v any) ([]byte, error) {
	m, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(append(b, key...), m...), nil
}

// appendJSONTime appends t as time.Time.MarshalJSON does (RFC 3339 with nanoseconds, quoted).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("time %v: year outside of range [0,9999]", t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json writes it: <, >, & and
// U+2028, U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// sameTicket reports whether a and b are the same ticket in the same state (they encode alike).
func sameTicket(a, b *hall.Ticket) bool {
	if a.ID != b.ID || a.Hall != b.Hall || a.Service != b.Service || a.Number != b.Number ||
		a.Day != b.Day || a.Token != b.Token || a.State != b.State || a.Priority != b.Priority ||
		a.Lang != b.Lang || a.PersonID != b.PersonID || a.Channel != b.Channel ||
		!a.IssuedAt.Equal(b.IssuedAt) || a.IssuedAt.Location() != b.IssuedAt.Location() ||
		a.Order != b.Order || a.IssueOrder != b.IssueOrder || a.Counter != b.Counter ||
		a.TargetCounter != b.TargetCounter || a.Outcome != b.Outcome || a.Calls != b.Calls ||
		a.NoShows != b.NoShows || a.CaseID != b.CaseID || len(a.Visits) != 0 || len(b.Visits) != 0 {
		return false
	}
	return sameTime(a.CalledAt, b.CalledAt) && sameTime(a.StartedAt, b.StartedAt) && sameTime(a.FinishedAt, b.FinishedAt)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b) && a.Location() == b.Location()
}
