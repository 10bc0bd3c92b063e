package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/mailer"
	"onedoor/hallserver/notify"
	"onedoor/hallserver/wecom"
)

// directory is the notifier's view of the staff accounts and the live campus.
type directory struct {
	auth staffStore
	q    interface{ Campus() (hall.Campus, string) }
}

func (d directory) ListStaff(ctx context.Context) ([]hall.Staff, error) { return d.auth.ListStaff(ctx) }
func (d directory) Campus(context.Context) (hall.Campus, error) {
	c, _ := d.q.Campus()
	return c, nil
}

// wecomApp sends the notifier's textcards through the WeChat Work client.
type wecomApp struct{ c *wecom.Client }

func (a wecomApp) SendCard(ctx context.Context, users []string, title, desc, url string) ([]string, error) {
	// The description may carry WeChat Work's <div class=…> markup: what people typed must not.
	desc = strings.NewReplacer("<", "＜", ">", "＞").Replace(desc)
	res, err := a.c.SendCard(ctx, users, wecom.Card{Title: title, Description: desc, URL: url, Button: "办理"})
	if err != nil {
		var e *wecom.APIError
		if ok := asAPIError(err, &e); ok && !e.Temporary() {
			return nil, &notify.Permanent{Err: err}
		}
		return nil, err
	}
	return res.InvalidUsers, nil
}

func asAPIError(err error, target **wecom.APIError) bool {
	for err != nil {
		if e, ok := err.(*wecom.APIError); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// robotSender keeps a robot's permanent errors (a wrong key) from being retried for ever.
type robotSender struct{ r *wecom.Robots }

func (s robotSender) Send(ctx context.Context, key, md string) error {
	err := s.r.Send(ctx, key, md)
	var e *wecom.APIError
	if err != nil && asAPIError(err, &e) && !e.Temporary() {
		return &notify.Permanent{Err: err}
	}
	return err
}

// newWecomClient is the process's one WeChat Work client (-wecom-*): the notifier sends with it
// and the WeChat Work sign-in takes its access token, so both share one token cache.
func newWecomClient(cfg config) (*wecom.Client, error) {
	wc, err := wecom.New(wecom.Config{API: cfg.wecomAPI, CorpID: cfg.wecomCorp, Secret: cfg.wecomSecret, AgentID: cfg.wecomAgent})
	if err != nil {
		return nil, fmt.Errorf("-wecom-api: %w", err)
	}
	return wc, nil
}

// startNotifier starts the notifier (package notify) on the case log with its outbox st (the
// data file's, or etcd's on the owner with -etcd): WeChat Work application
// messages through wc when -wecom-corp, -wecom-secret and -wecom-agent are set, department robots
// by their keys in the campus, e-mail when -smtp-addr is set. The returned function stops it and
// waits.
func startNotifier(ctx context.Context, cfg config, wc *wecom.Client, st notify.Store, cs *bolt.Cases, auth staffStore, q interface{ Campus() (hall.Campus, string) }, halls notify.Halls,
	requesters caseRequesters, publicURL string, log *slog.Logger) (*notify.Notifier, func(), error) {
	robots := wecom.NewRobots(wc, wecom.RobotConfig{})
	ncfg := notify.Config{Log: cs, Store: st, Directory: directory{auth: auth, q: q}, Robot: robotSender{robots},
		PublicURL: publicURL, Demo: cfg.demo, Logger: log, Halls: halls}
	if wc.AppConfigured() {
		ncfg.App = wecomApp{wc}
		ncfg.Requester = wecomRequester(requesters, log)
	}
	if cfg.smtpAddr != "" {
		m, err := newMailer(cfg)
		if err != nil {
			return nil, nil, err
		}
		ncfg.Mail = m
	}
	n, err := notify.New(ncfg)
	if err != nil {
		return nil, nil, err
	}
	octx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(octx); err != nil {
			log.Error("notifier stopped", "err", err)
		}
	}()
	log.Info("notifier", "wecom_api", wc.API(), "wecom_app", ncfg.App != nil, "smtp", cfg.smtpAddr != "")
	return n, func() { cancel(); <-done; robots.Close() }, nil
}

// newMailer is the e-mail sender of -smtp-addr (STARTTLS required).
func newMailer(cfg config) (*mailer.Mailer, error) {
	m, err := mailer.New(mailer.Config{Addr: cfg.smtpAddr, From: cfg.smtpFrom, User: cfg.smtpUser, Password: cfg.smtpPassword})
	if err != nil {
		return nil, fmt.Errorf("-smtp-addr: %w", err)
	}
	return m, nil
}

// caseRequesters tells whom a case was opened by (bolt.Requesters, the etcd case store).
type caseRequesters interface {
	CaseRequester(ctx context.Context, caseID string) (*hall.Identity, error)
}

// wecomRequester finds the WeChat Work user of a case's requester: one who signed in by WeChat
// Work OAuth when they opened it (the campus sign-on's users have no WeChat Work ID to send to).
func wecomRequester(r caseRequesters, log *slog.Logger) notify.RequesterContact {
	return func(ctx context.Context, c *hall.Case) string {
		id, err := r.CaseRequester(ctx, c.ID)
		if err != nil {
			log.Warn("notify: the requester of a case", "case", c.Number, "err", err)
			return ""
		}
		if id == nil || id.Source != hall.IdentityWeCom {
			return ""
		}
		return id.ID
	}
}
