package open311

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"onedoor/hallserver/hall"
)

// form reads the parameters of a POST: form-encoded (the spec), multipart, or a JSON
// object (scalars only). The body is limited to h.cfg.Wire.MaxBody.
func (h *Handler) form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.Wire.MaxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	tooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	switch ct {
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(h.cfg.Wire.TooLarge, "", "request body is larger than %d bytes", h.cfg.Wire.MaxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed JSON: %v", err)
		}
		v := url.Values{}
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			case json.Number:
				v.Set(k, x.String())
			case bool:
				v.Set(k, strconv.FormatBool(x))
			case nil:
			default:
				if !strings.HasPrefix(k, "attribute") {
					return nil, hall.Errorf(hall.EINVALID, k, "%s must be a string or a number", k)
				}
			}
		}
		return v, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(h.cfg.Wire.MaxBody); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(h.cfg.Wire.TooLarge, "", "request body is larger than %d bytes", h.cfg.Wire.MaxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed form: %v", err)
		}
		return r.PostForm, nil
	case "application/x-www-form-urlencoded", "":
		if err := r.ParseForm(); err != nil {
			if tooLarge(err) {
				return nil, hall.Errorf(h.cfg.Wire.TooLarge, "", "request body is larger than %d bytes", h.cfg.Wire.MaxBody)
			}
			return nil, hall.Errorf(hall.EINVALID, "", "malformed form: %v", err)
		}
		return r.PostForm, nil
	}
	return nil, hall.Errorf(hall.EINVALID, "Content-Type", "send application/x-www-form-urlencoded or application/json, not %s", ct)
}

// Created answers a POST: the case number, what will happen, and (an extension) the
// requester's follow link.
type Created struct {
	ServiceRequestID string `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string `json:"service_notice" xml:"service_notice"`
	AccountID        string `json:"account_id,omitempty" xml:"account_id,omitempty"`
	FollowURL        string `json:"follow_url" xml:"follow_url"`
}

// placeOf reads the place parameters: address_string, lat and long (WGS84 degrees, both or
// neither), media_url (http(s) only). nil when none is given.
func placeOf(get func(string) string) (*hall.Place, error) {
	p := &hall.Place{Address: get("address_string")}
	if la, lo := get("lat"), get("long"); la != "" || lo != "" {
		lat, err1 := strconv.ParseFloat(la, 64)
		lon, err2 := strconv.ParseFloat(lo, 64)
		if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return nil, hall.Errorf(hall.EINVALID, "lat", "lat and long must both be WGS84 degrees")
		}
		p.Lat, p.Long = &lat, &lon
	}
	if m := get("media_url"); m != "" {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, hall.Errorf(hall.EINVALID, "media_url", "media_url must be an http(s) URL")
		}
		p.MediaURL = m
	}
	if *p == (hall.Place{}) {
		return nil, nil
	}
	return p, nil
}

// placeNote is the place as labelled lines under the case text ("" for none).
func placeNote(p *hall.Place) string {
	if p == nil {
		return ""
	}
	var lines []string
	if p.Address != "" {
		lines = append(lines, "地点 Location: "+p.Address)
	}
	if p.Lat != nil && p.Long != nil {
		lines = append(lines, fmt.Sprintf("坐标 Coordinates: %.6f, %.6f", *p.Lat, *p.Long))
	}
	if p.MediaURL != "" {
		lines = append(lines, "附件 Media: "+p.MediaURL)
	}
	return strings.Join(lines, "\n")
}

// description is the request's text without the place note openRequest wrote under it.
func description(c *hall.Case) string {
	note := placeNote(c.Place)
	switch {
	case note == "":
		return c.Text
	case c.Text == note:
		return ""
	}
	return strings.TrimSuffix(c.Text, "\n\n"+note)
}

// hanOnly reports whether s is all Han characters (a Chinese name part).
func hanOnly(s string) bool {
	for _, r := range s {
		if r < 0x2E80 {
			return false
		}
	}
	return s != ""
}

// joinName joins first and last names: family name first without a space for Chinese
// names (张 + 三 = 张三), "First Last" otherwise.
func joinName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	switch {
	case first == "":
		return last
	case last == "":
		return first
	case hanOnly(first) && hanOnly(last):
		return last + first
	}
	return first + " " + last
}

// openRequest builds the case request from the parameters.
func (h *Handler) openRequest(form url.Values, caller *caller, lang string) (hall.OpenCaseRequest, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	code := get("service_code")
	if code == "" {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "service_code", "service_code was not provided")
	}
	for _, f := range []struct {
		name string
		max  int
	}{{"description", maxDescription}, {"first_name", 50}, {"last_name", 50}, {"email", 254}, {"phone", 32},
		{"account_id", 64}, {"address_string", 200}, {"media_url", 1000}, {"lat", 32}, {"long", 32}, {"kind", 32}} {
		v := form.Get(f.name)
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > f.max {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, f.name, "%s must be valid text of at most %d characters", f.name, f.max)
		}
	}
	kind := hall.KindComplaint
	if k := get("kind"); k != "" {
		kind = hall.Kind(k)
		if !kind.Valid() {
			return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "kind", "kind must be consultation, complaint or suggestion")
		}
	}
	if e := get("email"); e != "" && (!strings.Contains(e, "@") || strings.ContainsAny(e, " <>\"")) {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "email", "email is not an e-mail address")
	}
	if p := get("phone"); p != "" && strings.Trim(p, "+0123456789- ()") != "" {
		return hall.OpenCaseRequest{}, hall.Errorf(hall.EINVALID, "phone", "phone may hold digits, spaces, +, - and parentheses only")
	}
	place, err := placeOf(get)
	if err != nil {
		return hall.OpenCaseRequest{}, err
	}
	// The place is stored as its own fields, and also written under the text as labelled lines
	// for the staff pages, which show the text (GET cuts them off again: description).
	text := strings.TrimSpace(form.Get("description"))
	if note := placeNote(place); note != "" {
		if text != "" {
			text += "\n\n"
		}
		text += note
	}
	req := hall.OpenCaseRequest{
		Kind: kind, Channel: hall.ChannelAPI, Text: text, Lang: lang, Category: code, Source: caller.source, Place: place,
		Requester: hall.Requester{Name: joinName(get("first_name"), get("last_name")), Email: get("email"),
			Phone: get("phone"), PersonID: get("account_id")},
	}
	req.Requester.Anonymous = req.Requester == (hall.Requester{})
	return req, nil
}

// notice says what will happen to a new case.
func (h *Handler) notice(c *hall.Case, lang string) string {
	loc := h.cfg.Campus.Location()
	due := c.ReplyDue.In(loc).Format("2006-01-02 15:04")
	dept := h.cfg.Campus.DepartmentName(c.Department).In(lang)
	if lang == "en" {
		if c.State == hall.CaseTriage || c.Department == hall.OfficeDepartment || c.Department == "" {
			return fmt.Sprintf("Received as %s; the supervising office assigns it. First reply by %s.", c.Number, due)
		}
		return fmt.Sprintf("Received as %s and sent to %s. First reply by %s.", c.Number, dept, due)
	}
	if c.State == hall.CaseTriage || c.Department == hall.OfficeDepartment || c.Department == "" {
		return fmt.Sprintf("已受理（%s），由督办室分派办理部门，%s 前首次答复。", c.Number, due)
	}
	return fmt.Sprintf("已受理（%s），已转%s办理，%s 前首次答复。", c.Number, dept, due)
}

func (h *Handler) handlePost(w http.ResponseWriter, r *http.Request) {
	form, err := h.form(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	caller, err := h.identify(r, form)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cs, err := h.cfg.Cases()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	lang := h.lang(r, form)
	req, err := h.openRequest(form, caller, lang)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cat, err := cs.Catalogue(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, ok := cat.Category(req.Category); !ok {
		h.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "service_code", "service_code %q was not found", req.Category))
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		h.writeError(w, r, hall.Errorf(hall.EINVALID, "Idempotency-Key", "Idempotency-Key is longer than 128 characters"))
		return
	}
	req.IdempotencyKey = key
	c, err := cs.Open(r.Context(), req)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.write(w, formatOf(r), http.StatusCreated, CreatedList{{ServiceRequestID: c.Number, ServiceNotice: h.notice(c, lang),
		AccountID: req.Requester.PersonID, FollowURL: h.cfg.PublicURL + "/c/" + c.Token}})
}
