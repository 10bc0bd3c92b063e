package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/enginehost"
	"onedoor/hallserver/hall"
	hallhttp "onedoor/hallserver/http"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wecom"
)

// localStores are the services kept in the server's bbolt file: the data file without -etcd,
// the server's local file with -etcd (they do not fail over: docs/HA.md). With -etcd the owner
// replaces the services kept on etcd for each term (etcdStores, ha_stores.go).
type localStores struct {
	db *bolt.DB
	// auth and requesters are the file's, or etcd's with -etcd (useEtcdAuth).
	auth         staffStore
	cases        *bolt.Cases
	topics       hall.TopicService
	longList     longListStore
	visitRatings enginehost.VisitRatingStore
	appointments hall.AppointmentStore
	// outbox is the notifier's (notices, dedupe keys, cursors).
	outbox     notify.Store
	requesters requesterStore
	audit      *bolt.Audit
	// wecom is the process's one WeChat Work client (-wecom-*): the notifier's messages and the
	// OAuth sign-in share its access token.
	wecom       *wecom.Client
	open311Keys map[string]string
}

// staffStore is the staff and device accounts with their sessions (bolt.Auth, etcd.Auth).
type staffStore interface {
	hall.AuthService
	hall.AdminService
	hall.ExternalLogin
}

// requesterStore is the requester sessions with the cases' index (bolt.Requesters,
// etcd.Requesters).
type requesterStore interface {
	hall.RequesterService
	CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error)
}

// openLocalStores opens the services of the bbolt file db around the case system cs. With
// -etcd cs is nil: the case system and the topics found in it are each term's, on etcd.
func openLocalStores(db *bolt.DB, c hall.Campus, cs *bolt.Cases, auth *bolt.Auth, cfg config, log *slog.Logger) (*localStores, error) {
	st := &localStores{db: db, auth: auth, cases: cs}
	var err error
	if cs != nil {
		if st.topics, err = bolt.NewTopics(db, cs, time.Now); err != nil {
			return nil, err
		}
	}
	if st.visitRatings, err = bolt.NewVisitRatings(db, time.Now); err != nil {
		return nil, err
	}
	if st.appointments, err = bolt.NewAppointments(db, time.Now); err != nil {
		return nil, err
	}
	if st.longList, err = bolt.NewLongList(db, departmentCodes(c), time.Now); err != nil {
		return nil, err
	}
	if st.outbox, err = bolt.NewNoticeStore(db); err != nil {
		return nil, err
	}
	if st.open311Keys, err = loadOpen311Keys(cfg.open311Keys, cfg.demo); err != nil {
		return nil, err
	}
	st.audit = bolt.NewAudit(db, cfg.auditRetention, time.Now, log)
	if st.requesters, err = bolt.NewRequesters(db, time.Now); err != nil {
		return nil, err
	}
	if st.wecom, err = newWecomClient(cfg); err != nil {
		return nil, err
	}
	return st, nil
}

// longListStore is the long-standing list of either store (a live campus change replaces the
// departments an item may name).
type longListStore interface {
	hall.LongListService
	SetDepartments(departments []string)
}

// apiNet is what the API takes from the listener and the process.
type apiNet struct {
	publicURL     string
	registry      *prometheus.Registry
	maxStreams    int
	underPressure func() bool
	log           *slog.Logger
}

// apiConfig builds the HTTP API's configuration shared by the bbolt server (run) and the etcd
// owner (runHA), so that the two cannot drift apart: a service either mode offers is set here.
// What only the bbolt server offers is set by run after this; apiConfigDiffers lists those
// fields, and TestAPIConfigSameOnEtcd fails when a field set on the bbolt path is unset on the
// etcd path and not on that list.
func apiConfig(cfg config, q *enginehost.Queue, c hall.Campus, st *localStores, notifier *notify.Notifier, n apiNet) (hallhttp.Config, error) {
	hc := hallhttp.Config{
		Queue:      q,
		Events:     q,
		Auth:       st.auth,
		Campus:     c,
		CampusLive: q,
		PublicURL:  strings.TrimRight(n.publicURL, "/"),
		Logger:     n.log,
		Registry:   n.registry,

		Cases:        st.cases,
		Reports:      st.cases,
		Topics:       st.topics,
		LongList:     st.longList,
		VisitRatings: enginehost.NewRatings(q, st.visitRatings),
		Appointments: st.appointments,

		// Enrolled Open311 clients (key → client name), from -open311-keys.
		Open311Keys: st.open311Keys,

		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		MaxStreamsPerAddr: n.maxStreams,
		UnderPressure:     n.underPressure,
		TrustedProxies:    cfg.trustedProxies,
		MetricsToken:      cfg.metricsToken,
		MetricsOpen:       cfg.demo,
		Ask:               cfg.ask,

		// Staff and device administration, the audit trail.
		Admin: st.auth,
		Audit: st.audit,
		// Identified requesters ("my requests"); CAS and WeChat Work sign-in from the flags.
		Requesters: st.requesters,
	}
	// The notifier's dead letters and their retry (docs/NOTIFY.md); a nil pointer must stay a
	// nil interface (the handlers answer 503 "this server runs no notifier").
	if notifier != nil {
		hc.Notify = notifier
	}
	if err := cfg.identity.wire(&hc, st.wecom); err != nil {
		return hc, err
	}
	return hc, nil
}

// apiConfigDiffers are the fields of hallhttp.Config that the bbolt server sets and the etcd
// owner deliberately leaves unset, with the reason (docs/HA.md). The API answers 503 with a
// message for what they serve.
func apiConfigDiffers() map[string]string {
	return map[string]string{
		"Backup":       "the local file is not the halls' state; back etcd up with etcdctl snapshot save",
		"Storage":      "the storage status of a bbolt data file; etcd's health is etcd's",
		"MinFreeBytes": "goes with Storage",
		"QueueReports": "the reports read the bbolt queue log; the queue is on etcd",
	}
}

// builtAPI reports the API configuration a server built (tests: cfg.onAPI).
func (c config) builtAPI(mode string, hc hallhttp.Config) {
	if c.onAPI != nil {
		c.onAPI(mode, hc)
	}
}
