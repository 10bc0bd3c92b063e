package open311

import (
	"net/http"
	"strings"

	"onedoor/hallserver/hall"
)

// Endpoint is an API endpoint of the discovery document.
type Endpoint struct {
	Specification string   `json:"specification"`
	URL           string   `json:"url"`
	Changeset     string   `json:"changeset"`
	Type          string   `json:"type"`
	Formats       []string `json:"formats"`
}

// Discovery is the discovery document (GET /open311/discovery.json).
type Discovery struct {
	Changeset  string     `json:"changeset"`
	Contact    string     `json:"contact"`
	KeyService string     `json:"key_service"`
	Endpoints  []Endpoint `json:"endpoints"`
}

func (h *Handler) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	base := h.cfg.PublicURL
	if base == "" {
		base = "http://" + r.Host
	}
	name := h.cfg.Campus.Name().In(h.lang(r, nil))
	h.cfg.Wire.JSON(w, http.StatusOK, Discovery{
		Changeset:  "2026-03-01T00:00:00Z",
		Contact:    name + " (supervising office)",
		KeyService: "API keys are issued by the supervising office (hallserver -open311-keys).",
		Endpoints: []Endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: base + "/open311/v2",
			Changeset: "2026-03-01T00:00:00Z", Type: "production", Formats: []string{"application/json"}}},
	})
}

// Service is a catalogue category as an Open311 service.
type Service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
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
	out := make([]Service, 0, len(cat.Categories))
	for i := range cat.Categories {
		out = append(out, h.serviceOf(&cat.Categories[i], lang))
	}
	w.Header().Set("Vary", "Accept-Language")
	h.cfg.Wire.JSON(w, http.StatusOK, out)
}

// ServiceDefinition is a service definition; no service has attributes (metadata is false).
type ServiceDefinition struct {
	ServiceCode string `json:"service_code"`
	Attributes  []any  `json:"attributes"`
}

func (h *Handler) handleService(w http.ResponseWriter, r *http.Request) {
	code, err := trimFormat(r.PathValue("service_code"), "service code")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	cat, err := h.catalogue(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, ok := cat.Category(code); !ok {
		h.writeError(w, r, hall.Errorf(hall.ENOTFOUND, "service_code", "service_code %q was not found", code))
		return
	}
	h.cfg.Wire.JSON(w, http.StatusOK, ServiceDefinition{ServiceCode: code, Attributes: []any{}})
}
