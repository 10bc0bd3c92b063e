package open311

import (
	"encoding/xml"
	"net/http"
	"strings"

	"onedoor/hallserver/hall"
)

// format is the format of an answer, chosen by the path's extension: .xml or .json; none is
// XML, the spec's default.
type format int

const (
	formatXML format = iota
	formatJSON
)

// splitFormat cuts the format extension off the last path segment: "wifi.json" → "wifi", JSON;
// "wifi.xml" and "wifi" → "wifi", XML. Another extension is an error (answered in XML).
func splitFormat(segment string) (string, format, error) {
	if base, ok := strings.CutSuffix(segment, ".json"); ok {
		return base, formatJSON, nil
	}
	if base, ok := strings.CutSuffix(segment, ".xml"); ok {
		return base, formatXML, nil
	}
	if i := strings.LastIndexByte(segment, '.'); i >= 0 && i < len(segment)-1 {
		ext := segment[i+1:]
		if len(ext) <= 5 && strings.Trim(strings.ToLower(ext), "abcdefghijklmnopqrstuvwxyz") == "" {
			return segment, formatXML, hall.Errorf(hall.EINVALID, "format", "format %q is not supported; use .xml or .json", ext)
		}
	}
	return segment, formatXML, nil
}

// formatOf is the answer format of a request: its path's extension.
func formatOf(r *http.Request) format {
	p := r.URL.Path
	_, f, _ := splitFormat(p[strings.LastIndexByte(p, '/')+1:])
	return f
}

// write answers v in the format with the status: JSON through the server's writer, XML with
// encoding/xml (v's XML form, below, follows the spec's examples).
func (h *Handler) write(w http.ResponseWriter, f format, status int, v any) {
	if f == formatJSON {
		h.cfg.Wire.JSON(w, status, v)
		return
	}
	b, err := xml.Marshal(v)
	if err != nil {
		// Only a bug can get here: our own types always marshal.
		h.log.Error("open311: XML answer", "err", err)
		status = http.StatusInternalServerError
		b, _ = xml.Marshal(ErrorList{{Code: status, Description: "internal error"}})
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/xml; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(append(b, '\n'))
}

// xmlList writes items as <outer><inner>…</inner>…</outer>: the spec's lists.
func xmlList[T any](e *xml.Encoder, outer, inner string, items []T) error {
	start := xml.StartElement{Name: xml.Name{Local: outer}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for i := range items {
		if err := e.EncodeElement(&items[i], xml.StartElement{Name: xml.Name{Local: inner}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// ServiceList is GET services' answer: a JSON array, or <services><service>… in XML.
type ServiceList []Service

// MarshalXML writes <services>.
func (l ServiceList) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return xmlList(e, "services", "service", l)
}

// RequestList is GET requests' answer: a JSON array, or <service_requests><request>… in XML.
type RequestList []Request

// MarshalXML writes <service_requests>.
func (l RequestList) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return xmlList(e, "service_requests", "request", l)
}

// CreatedList is POST requests' answer: a JSON array, or <service_requests><request>… in XML.
type CreatedList []Created

// MarshalXML writes <service_requests>.
func (l CreatedList) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return xmlList(e, "service_requests", "request", l)
}

// ErrorList is an error answer: [{code, description}], or <errors><error>… in XML.
type ErrorList []Error

// MarshalXML writes <errors>.
func (l ErrorList) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return xmlList(e, "errors", "error", l)
}

// Attributes is a service definition's attributes: none here, [] in JSON, an empty
// <attributes/> in XML (so that XML readers of the Spark convention still see an object).
type Attributes []struct{}

// MarshalXML writes an empty <attributes>.
func (a Attributes) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return xmlList(e, "attributes", "attribute", a)
}
