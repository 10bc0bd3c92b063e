package http

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StorageStatus is the state of the data file's storage as /healthz and the metrics report it
// (the store's bolt.DB.Storage).
type StorageStatus struct {
	// FreeBytes is the space left on the data file's file system; -1 when unknown.
	FreeBytes int64
	// CommitFailed says the last commit failed: CommitReason says why, briefly and without file
	// paths ("no space left on device"), CommitFailedAt when. A successful commit clears it.
	CommitFailed   bool
	CommitReason   string
	CommitFailedAt time.Time
}

// healthBody is the JSON of /healthz: {"status":"ok"|"unavailable","storage":{…}}.
type healthBody struct {
	Status  string         `json:"status"`
	Storage *storageHealth `json:"storage,omitempty"`
}

type storageHealth struct {
	OK bool `json:"ok"`
	// Reasons say why not, one line each.
	Reasons      []string   `json:"reasons,omitempty"`
	FreeBytes    int64      `json:"freeBytes"`
	MinFreeBytes int64      `json:"minFreeBytes"`
	CommitError  string     `json:"lastCommitError,omitempty"`
	CommitAt     *time.Time `json:"lastCommitErrorAt,omitempty"`
}

// storageHealth judges the storage: not ok when the last commit failed or the free space is
// below Config.MinFreeBytes. nil without Config.Storage.
func (s *Server) storageHealth() *storageHealth {
	if s.cfg.Storage == nil {
		return nil
	}
	st := s.cfg.Storage()
	h := &storageHealth{OK: true, FreeBytes: st.FreeBytes, MinFreeBytes: s.cfg.MinFreeBytes}
	if st.CommitFailed {
		h.OK = false
		at := st.CommitFailedAt.UTC()
		h.CommitError, h.CommitAt = st.CommitReason, &at
		h.Reasons = append(h.Reasons, fmt.Sprintf("the last write to the data file failed (%s); writes fail until the storage works again", st.CommitReason))
	}
	if st.FreeBytes >= 0 && s.cfg.MinFreeBytes > 0 && st.FreeBytes < s.cfg.MinFreeBytes {
		h.OK = false
		h.Reasons = append(h.Reasons, fmt.Sprintf("%d MiB free on the data file's file system, below the %d MiB minimum (-min-free-mb)", st.FreeBytes>>20, s.cfg.MinFreeBytes>>20))
	}
	return h
}

// handleHealth answers /healthz: 200 {"status":"ok"} while the server can store, 503 with the
// reasons when the last commit failed or the disk is nearly full (kiosks then show themselves
// out of service instead of issuing tickets that cannot be kept).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	st := s.storageHealth()
	if st != nil && !st.OK {
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "unavailable", Storage: st})
		return
	}
	writeJSON(w, http.StatusOK, healthBody{Status: "ok", Storage: st})
}

// registerStorageMetrics adds onedoor_storage_ok and onedoor_storage_free_bytes, computed at
// each scrape; nothing without Config.Storage.
func (s *Server) registerStorageMetrics() {
	if s.cfg.Storage == nil {
		return
	}
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "onedoor_storage_ok",
			Help: "1 when the data file's storage works (last commit succeeded, free space above -min-free-mb), else 0; /healthz then answers 503.",
		}, func() float64 {
			if st := s.storageHealth(); st != nil && !st.OK {
				return 0
			}
			return 1
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "onedoor_storage_free_bytes",
			Help: "Free bytes on the data file's file system (-1 when unknown).",
		}, func() float64 { return float64(s.cfg.Storage().FreeBytes) }),
	)
}
