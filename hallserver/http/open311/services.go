package open311

import (
	"encoding/xml"
	"net/http"
	"strings"

	"onedoor/hallserver/hall"
)

// Endpoint is an API endpoint of the discovery document.
type Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

// Discovery is the discovery document (GET /open311/discovery.xml or .json).
type Discovery struct {
	XMLName    xml.Name   `json:"-" xml:"discovery"`
	Changeset  string     `json:"changeset" xml:"changeset"`
	Contact    string     `json:"contact" xml:"contact"`
	KeyService string     `json:"key_service" xml:"key_service"`
	Endpoints  []Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

func (h *Handler) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	base := h.cfg.PublicURL
	if base == "" {
		base = "http://" + r.Host
	}
	name := h.cfg.Campus.Name().In(h.lang(r, nil))
	h.write(w, formatOf(r), http.StatusOK, Discovery{
		Changeset:  "2026-12-04T00:00:00Z",
		Contact:    name + " (supervising office)",
		KeyService: "API keys are issued by the supervising office (hallserver -open311-keys).",
		Endpoints: []Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base + "/open311/v2",
			Changeset: "2026-12-04T00:00:00Z", Type: "production", Formats: []string{"text/xml", "application/json"}}},
	})
}

// Service is a catalogue category as an Open311 service.
type Service struct {
	ServiceCode string `json:"service_code" xml:"service_code"`
	ServiceName string `json:"service_name" xml:"service_name"`
	Description string `json:"description" xml:"description"`
	Metadata    bool   `json:"metadata" xml:"metadata"`
	Type        string `json:"type" xml:"type"`
	Keywords    string `json:"keywords" xml:"keywords"`
	Group       string `json:"group" xml:"group"`
}

func (h *Handler) catalogue(r *http.Request) (*hall.Catalogue, error) {
	cs, err := h.cfg.Cases()
	if err != nil {
		return nil, err
	}
	return cs.Catalogue(r.Context())
}

func (h *Handler) serviceOf(k *hall.Category, lang string) Service {
	return Service{ServiceCode: k.Code, ServiceName: k.Name.In(lang), Description: k.Scope.In(lang),
		Metadata: false, Type: "realtime", Keywords: strings.Join(k.Keywords, ","), Group: h.cfg.Campus.DepartmentName(k.Department).In(lang)}
}

func (h *Handler) handleServices(w http.ResponseWriter, r *http.Request) {
	cat, err := h.catalogue(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	lang := h.lang(r, nil)
	out := make(ServiceList, 0, len(cat.Categories))
	for i := range cat.Categories {
		out = append(out, h.serviceOf(&cat.Categories[i], lang))
	}
	w.Header().Set("Vary", "Accept-Language")
	h.write(w, formatOf(r), http.StatusOK, out)
}

// ServiceDefinition is a service definition; no service has attributes (metadata is false).
type ServiceDefinition struct {
	XMLName     xml.Name   `json:"-" xml:"service_definition"`
	ServiceCode string     `json:"service_code" xml:"service_code"`
	Attributes  Attributes `json:"attributes" xml:"attributes"`
}

func (h *Handler) handleService(w http.ResponseWriter, r *http.Request) {
	code, _, err := splitFormat(r.PathValue("service_code"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cat, err := h.catalogue(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, ok := cat.Category(code); !ok || code == "" {
		h.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "service_code", "service_code %q was not found", code))
		return
	}
	h.write(w, formatOf(r), http.StatusOK, ServiceDefinition{ServiceCode: code, Attributes: Attributes{}})
}
