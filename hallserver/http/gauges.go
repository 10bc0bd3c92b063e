package http

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

// This file holds the gauges an operator graphs, read from the services at each scrape (nothing
// is counted twice): waiting tickets per service, counters by state, device state, and the open
// and overdue cases per lead department, active device alerts by kind.

// gaugeTimeout bounds the reads of one scrape.
const gaugeTimeout = 5 * time.Second

// stateGauges is a prometheus.Collector of the hall and case state.
type stateGauges struct {
	s                                                        *Server
	waiting, counters, devices, alerts, casesOpen, casesLate *prometheus.Desc
}

// registerStateGauges adds the state gauges to the server's registry and shows every hall's
// stream client gauge at 0 before its first client.
func (s *Server) registerStateGauges() {
	for _, h := range s.campus().Halls {
		s.metrics.subscribers.WithLabelValues(h.Code)
	}
	s.reg.MustRegister(&stateGauges{
		s:         s,
		waiting:   prometheus.NewDesc("onedoor_queue_waiting_tickets", "Tickets waiting, by hall and service.", []string{"hall", "service"}, nil),
		counters:  prometheus.NewDesc("onedoor_counters", "Counters by hall and state (open, paused, closed).", []string{"hall", "state"}, nil),
		devices:   prometheus.NewDesc("onedoor_device_state", "1 for the state a device part last reported (ok, paper_near_end, paper_out, cover_open, offline, error), by hall, device and kind.", []string{"hall", "device", "kind", "state"}, nil),
		alerts:    prometheus.NewDesc("onedoor_device_alerts", "Active device alerts, by hall and kind (printer, storage, silent, outbox).", []string{"hall", "kind"}, nil),
		casesOpen: prometheus.NewDesc("onedoor_cases_open", "Cases not final (the backlog), by lead department (office: waiting for triage).", []string{"department"}, nil),
		casesLate: prometheus.NewDesc("onedoor_cases_overdue", "Cases being handled past their reply or resolution limit, by lead department.", []string{"department"}, nil),
	})
}

// Describe implements prometheus.Collector.
func (g *stateGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.waiting, g.counters, g.devices, g.alerts, g.casesOpen, g.casesLate} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A hall or the case system that cannot be read leaves
// its series out of this scrape (logged) rather than reporting zeros.
func (g *stateGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	for _, h := range g.s.campus().Halls {
		snap, err := g.s.cfg.Queue.Snapshot(ctx, h.Code)
		if err != nil {
			g.s.log.Warn("metrics: snapshot", "hall", h.Code, "err", err)
			continue
		}
		for _, sv := range snap.Services {
			ch <- prometheus.MustNewConstMetric(g.waiting, prometheus.GaugeValue, float64(sv.Waiting), h.Code, sv.Code)
		}
		byState := map[hall.CounterState]int{hall.CounterOpen: 0, hall.CounterPaused: 0, hall.CounterClosed: 0}
		for _, c := range snap.Counters {
			byState[c.State]++
		}
		for st, n := range byState {
			ch <- prometheus.MustNewConstMetric(g.counters, prometheus.GaugeValue, float64(n), h.Code, string(st))
		}
		for _, d := range snap.Devices {
			ch <- prometheus.MustNewConstMetric(g.devices, prometheus.GaugeValue, 1, h.Code, d.Device, d.Kind, d.State)
		}
		alerts := map[string]int{}
		for _, a := range snap.Alerts {
			alerts[a.Kind]++
		}
		for _, kind := range hall.AlertKinds {
			ch <- prometheus.MustNewConstMetric(g.alerts, prometheus.GaugeValue, float64(alerts[kind]), h.Code, kind)
		}
	}
	if g.s.cfg.Cases == nil {
		return
	}
	open, err := g.s.cfg.Cases.List(ctx, hall.CaseFilter{Open: true})
	if err != nil {
		g.s.log.Warn("metrics: open cases", "err", err)
		return
	}
	now := g.s.now()
	backlog, late := map[string]int{}, map[string]int{}
	for _, d := range g.s.campus().Departments {
		backlog[d.Code], late[d.Code] = 0, 0
	}
	for i := range open {
		dep := open[i].Department
		if dep == "" {
			dep = hall.OfficeDepartment
		}
		backlog[dep]++
		if cases.Overdue(&open[i], now) {
			late[dep]++
		}
	}
	for dep, n := range backlog {
		ch <- prometheus.MustNewConstMetric(g.casesOpen, prometheus.GaugeValue, float64(n), dep)
		ch <- prometheus.MustNewConstMetric(g.casesLate, prometheus.GaugeValue, float64(late[dep]), dep)
	}
}
