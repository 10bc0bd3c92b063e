package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"onedoor/hallserver/netlimit"
)

// Connection limits derived from the descriptor limit (see connLimits).
const (
	// fdReserveMin is the fewest descriptors kept out of the connection cap for the data file,
	// logs, outgoing webhook connections and the refusals themselves (a refused connection holds
	// a descriptor until it is closed, right after accept).
	fdReserveMin = 64
	// maxConnsCeiling bounds the automatic connection cap however high the descriptor limit is:
	// an idle connection costs about 10–20 KB (goroutine and buffers).
	maxConnsCeiling = 65536
	// reservePerAddr: in the last tenth of the connection cap only addresses holding fewer than
	// this many connections get in (kiosks, displays and staff browsers hold a handful each).
	reservePerAddr = 16
	// pressureShare: the per-address caps apply in the last 1/pressureShare of the connection
	// cap (the last fifth: twice the reserve); below that any address gets in, however many it
	// holds.
	pressureShare = 5
)

// limits are the connection and stream caps in force.
type limits struct {
	fds           int // descriptor limit of the process (0: unknown)
	maxConns      int
	maxConnsPerIP int
	reserve       int
	// pressure is the number of open connections from which the per-address caps apply
	// (connections and public streams); 0: always.
	pressure   int
	maxStreams int // public streams per address (from pressure on)
}

// connLimits derives the caps from the descriptor limit fds and the flags (0: automatic, -1: no
// cap): max-conns = fds − max(64, fds/10), at most 65,536; max-conns-per-ip = a quarter of it (at
// least 16); the last tenth of max-conns is kept for addresses holding fewer than 16 connections;
// max-streams-per-ip = half of max-conns-per-ip (so an address holding streams keeps room for
// its plain requests).
//
// The per-address caps are a fairness rule under pressure, not hard limits: they apply only once
// the server holds four fifths of max-conns (the last fifth is twice the reserve); below that one
// address may hold any number of connections and public streams (thousands of phones behind a
// campus NAT). Without max-conns (-1) there is no measure of pressure and they always apply.
func connLimits(fds int, cfg config) limits {
	l := limits{fds: fds}
	switch {
	case cfg.maxConns > 0:
		l.maxConns = cfg.maxConns
	case cfg.maxConns == 0 && fds > 0:
		l.maxConns = min(max(fds-max(fdReserveMin, fds/10), 16), maxConnsCeiling)
	case cfg.maxConns == 0:
		l.maxConns = 1024 // the descriptor limit is unknown: the usual default soft limit
	}
	switch {
	case cfg.maxConnsPerIP > 0:
		l.maxConnsPerIP = cfg.maxConnsPerIP
	case cfg.maxConnsPerIP == 0 && l.maxConns > 0:
		l.maxConnsPerIP = max(l.maxConns/4, 16)
	}
	if l.maxConns > 0 {
		l.reserve = l.maxConns / 10
		l.pressure = l.maxConns - l.maxConns/pressureShare
	}
	switch {
	case cfg.maxStreamsPerIP > 0:
		l.maxStreams = cfg.maxStreamsPerIP
	case cfg.maxStreamsPerIP == 0 && l.maxConnsPerIP > 0:
		l.maxStreams = max(l.maxConnsPerIP/2, 8)
	}
	return l
}

// limitListener wraps ln with the connection caps of l, counts refusals in
// onedoor_connections_refused_total{reason} and open connections in onedoor_connections_open,
// and logs refusals at most every 10 s.
func limitListener(ln net.Listener, l limits, reg prometheus.Registerer, log *slog.Logger) (*netlimit.Listener, error) {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "onedoor_connections_refused_total",
		Help: "Connections closed right after accept, by reason: per_ip (the server holds four fifths of -max-conns and the address holds -max-conns-per-ip), global (-max-conns reached), reserve (the last tenth of -max-conns is kept for addresses holding few connections), accept_error (accept failed, e.g. out of descriptors, and is retried).",
	}, []string{"reason"})
	for _, r := range []netlimit.Reason{netlimit.PerAddr, netlimit.Global, netlimit.Reserve, netlimit.AcceptError} {
		refused.WithLabelValues(string(r))
	}
	nl := netlimit.New(ln, netlimit.Config{
		Max: l.maxConns, MaxPerAddr: l.maxConnsPerIP, Pressure: l.pressure, Reserve: l.reserve, ReservePerAddr: reservePerAddr,
		OnRefuse: func(r netlimit.Reason) { refused.WithLabelValues(string(r)).Inc() },
		Logger:   log, LogEvery: 10 * time.Second,
	})
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onedoor_connections_open", Help: "Client connections open now (streams included).",
	}, func() float64 { return float64(nl.Open()) })
	limit := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onedoor_connections_max", Help: "The connection cap (-max-conns; 0: none).",
	}, func() float64 { return float64(l.maxConns) })
	pressure := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onedoor_connections_pressure",
		Help: "Open connections from which the per-address caps (-max-conns-per-ip, -max-streams-per-ip) apply; 0: always.",
	}, func() float64 { return float64(l.pressure) })
	for _, c := range []prometheus.Collector{refused, open, limit, pressure} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register connection metrics: %w", err)
		}
	}
	return nl, nil
}
