package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// etcdTarget is -etcd (and its TLS flags) of staff add and device add: the accounts of hall
// servers running on an etcd cluster (docs/HA.md), written straight to the cluster, how the
// first admin of a new cluster is made. Each write is a compare-and-swap with its audit entry in
// the same Txn, not fenced on the halls' owner: servers may be running, and their token caches
// follow the change by their watch.
type etcdTarget struct {
	urls, ca, cert, key *string
}

func etcdTargetFlags(fs *flag.FlagSet) *etcdTarget {
	return &etcdTarget{
		urls: fs.String("etcd", "", "etcd client URLs (comma-separated): write the account to the cluster of hallserver -etcd (instead of -data or -server)"),
		ca:   fs.String("etcd-ca", os.Getenv("ONEDOOR_ETCD_CA"), "with -etcd: CA certificate of the cluster"),
		cert: fs.String("etcd-cert", os.Getenv("ONEDOOR_ETCD_CERT"), "with -etcd: client certificate"),
		key:  fs.String("etcd-key", os.Getenv("ONEDOOR_ETCD_KEY"), "with -etcd: client key"),
	}
}

// set reports whether -etcd was given; with -server or -data on the command line too it is an
// error.
func (e *etcdTarget) set(fs *flag.FlagSet) (bool, error) {
	if *e.urls == "" {
		return false, nil
	}
	other := false
	fs.Visit(func(f *flag.Flag) { other = other || f.Name == "server" || f.Name == "data" })
	if other {
		return false, fmt.Errorf("give one of -etcd, -server and -data")
	}
	return true, nil
}

// auth opens the accounts on the cluster; close ends the connection.
func (e *etcdTarget) auth() (a *etcd.Auth, close func(), err error) {
	tlsCfg, err := etcd.TLSConfig(*e.ca, *e.cert, *e.key)
	if err != nil {
		return nil, nil, err
	}
	cli, err := etcd.Dial(strings.Split(*e.urls, ","), tlsCfg)
	if err != nil {
		return nil, nil, err
	}
	return etcd.NewAuth(cli, etcd.DefaultPrefix, nil, time.Now), func() { cli.Close() }, nil
}

// addStaffOnEtcd adds s (or with replace, sets the password, role, halls and departments of the
// existing account, ending its sessions) on the cluster.
func (e *etcdTarget) addStaffOnEtcd(ctx context.Context, s hall.Staff, pw string, replace bool) error {
	auth, done, err := e.auth()
	if err != nil {
		return err
	}
	defer done()
	_, err = auth.AddStaff(ctx, offlineActor, s, pw)
	if hall.ErrorCode(err) != hall.ECONFLICT {
		return err
	}
	if !replace {
		return fmt.Errorf("staff %q exists: give -replace to overwrite its password, role and halls", s.Username)
	}
	depts := []string{}
	if s.Department != "" {
		depts = []string{s.Department}
	}
	halls := s.Halls
	if halls == nil {
		halls = []string{}
	}
	_, err = auth.UpdateStaff(ctx, offlineActor, s.Username, hall.StaffPatch{Password: &pw, Role: &s.Role, Halls: &halls, Departments: &depts})
	return err
}

// addDeviceOnEtcd enrols d on the cluster with a new token and returns its ID and the token.
func (e *etcdTarget) addDeviceOnEtcd(ctx context.Context, d hall.Device) (id, token string, err error) {
	auth, done, err := e.auth()
	if err != nil {
		return "", "", err
	}
	defer done()
	dev, tok, err := auth.EnrolDevice(ctx, offlineActor, d)
	if err != nil {
		return "", "", err
	}
	return dev.ID, tok, nil
}
