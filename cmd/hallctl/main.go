// Command hallctl administers a OneDoor installation: staff accounts, device tokens, the campus
// file, backups and restores.
//
//	hallctl campus check campus.yaml       validate a campus file and summarise it
//	hallctl campus demo > campus.yaml      print the demo campus as a starting point
//	hallctl campus get -server URL > c.yaml   the running server's campus (token in ONEDOOR_TOKEN)
//	hallctl campus apply -server URL c.yaml   change it at once, without a restart
//	hallctl staff add -data F -username U -role counter -halls students   (offline; password on stdin)
//	hallctl staff list|add|disable|enable|reset -server URL …            (through the API; ONEDOOR_TOKEN)
//	hallctl device add -data F -role kiosk -hall students                 (offline; prints the token once)
//	hallctl staff add -etcd URLS -username admin -role admin                (hallserver -etcd's cluster)
//	hallctl device list|add|revoke -server URL …                          (through the API)
//	hallctl audit -server URL [-actor U -kind K -target T -since T -until T -limit N]
//	hallctl backup -server URL -o backup.db            online, while the server runs (token in ONEDOOR_TOKEN)
//	hallctl backup -data F -o backup.db                offline, server stopped
//	hallctl restore -data F backup.db                  server stopped
//	hallctl history -data F [-tickets N -cases N -days N]   a year of history in a new file (measurements)
//	hallctl latency -server URL [-username U] [-n 100] PATH…  p50/p99 of GETs (password on stdin)
//	hallctl dev-etcd -dir D -peers 3 -client-ports P1,P2,P3   a local etcd cluster (docs/HA.md)
//	hallctl migrate -from data/onedoor.db -to-etcd URLs       the halls' queues and cases to etcd (and -from-etcd URLs -to F back)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hallctl:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  hallctl campus check FILE
  hallctl campus demo
  hallctl campus get (-server URL | -data FILE)   (YAML on stdout; token from ONEDOOR_TOKEN)
  hallctl campus apply -server URL [-version V] FILE   (applied at once, no restart; token from ONEDOOR_TOKEN)
  hallctl staff add (-server URL | -data FILE | -etcd URLS) -username NAME -role admin|supervisor|counter|handler [-halls h1,h2|all] [-department CODE] [-name TEXT] [-replace]   (password read from stdin, at least 8 characters; a counter needs -halls, a handler -department; -data: offline, server stopped, e.g. the first admin of an empty file; -etcd: straight to the cluster of hallserver -etcd, e.g. its first admin)
  hallctl staff list -server URL
  hallctl staff disable|enable -server URL -username NAME
  hallctl staff reset -server URL -username NAME   (new password read from stdin)
  hallctl device add (-server URL | -data FILE | -etcd URLS) -role kiosk|display -hall HALL [-name TEXT] [-token TOKEN]   (prints the token once; -token, with -data only, needs at least 128 bits)
  hallctl device list -server URL
  hallctl device revoke -server URL -id ID
  hallctl audit -server URL [-actor NAME] [-kind KIND] [-target T] [-since RFC3339] [-until RFC3339] [-limit 100]
  (-server defaults to ONEDOOR_SERVER; the admin token is read from ONEDOOR_TOKEN)
  hallctl backup (-server URL [-token -] | -data FILE) -o OUT   (admin token from ONEDOOR_TOKEN, or on stdin with -token -)
  hallctl restore -data FILE BACKUP
  hallctl history -data FILE [-campus FILE] [-tickets 300000] [-cases 30000] [-days 365] [-seed 1]   (a new file; for measurements)
  hallctl latency [-server URL] [-username NAME] [-n 100] PATH...   (password on stdin; p50/p99 of GET PATH)
  hallctl dev-etcd -dir DIR [-peers 3] [-client-ports P1,P2,P3]   (a development etcd cluster in this process on loopback; prints ready, runs until killed)
  hallctl migrate (-from FILE -to-etcd URLS | -from-etcd URLS -to NEWFILE)   (the halls' queues and the case system to etcd or back, servers stopped; verified record by record)`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		return errors.New(usage)
	}
	switch args[0] {
	case "campus":
		return campusCmd(ctx, args[1:], stdout, stderr)
	case "staff":
		return staffCmd(ctx, args[1:], stdin, stdout, stderr)
	case "device":
		return deviceCmd(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], stdin, stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout, stderr)
	case "history":
		return historyCmd(ctx, args[1:], stdout, stderr)
	case "latency":
		return latencyCmd(ctx, args[1:], stdin, stdout, stderr)
	case "dev-etcd":
		return devEtcdCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func backupCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "bbolt data file (server stopped)")
	server := fs.String("server", "", "hall server URL for an online backup, e.g. http://127.0.0.1:8080")
	token := fs.String("token", "", `admin bearer token for -server: "-" reads it from stdin (default: ONEDOOR_TOKEN); a value here shows in ps`)
	out := fs.String("o", "", "backup file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || (*data == "") == (*server == "") {
		return errors.New("backup needs -o and exactly one of -server or -data")
	}
	var adminToken string
	if *server != "" {
		var err error
		if adminToken, err = backupToken(*token, stdin, stderr); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var n int64
	if *server != "" {
		n, err = onlineBackup(ctx, *server, adminToken, tmp)
	} else {
		var db *bolt.DB
		if db, err = bolt.Open(*data); err != nil {
			return err
		}
		n, err = db.Backup(ctx, tmp)
		db.Close()
	}
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes)\n", *out, n)
	return nil
}

func onlineBackup(ctx context.Context, server, token string, w io.Writer) (int64, error) {
	// No timeout: a large file takes as long as it takes (ctx bounds it).
	n, err := (&client.Client{BaseURL: server, Token: token}).Backup(ctx, w)
	if err != nil {
		return n, fmt.Errorf("backup from %s: %w", server, err)
	}
	return n, nil
}

func restoreCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data/onedoor.db", "bbolt data file to replace (server stopped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore needs one backup file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	if err := bolt.RestoreFile(f, *data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", *data, fs.Arg(0))
	return nil
}

// historyCmd fills a new data file with a history ending now (bolt.LoadHistory): the start-up
// and report measurements of docs/PERFORMANCE.md.
func historyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "bbolt data file to create (must not hold a history yet)")
	campusFile := fs.String("campus", "", "campus YAML file (default: the demo campus, as hallserver -demo)")
	tickets := fs.Int("tickets", 300_000, "finished tickets")
	nCases := fs.Int("cases", 30_000, "cases")
	days := fs.Int("days", 365, "days of history, ending now")
	seed := fs.Uint64("seed", 1, "seed of the simulated choices")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("history needs -data")
	}
	if *tickets < 0 || *nCases < 0 || *days < 1 {
		return errors.New("history: -tickets and -cases must be at least 0, -days at least 1")
	}
	c := campus.Demo()
	if *campusFile != "" {
		var err error
		if c, err = campus.LoadFile(*campusFile); err != nil {
			return err
		}
	}
	db, err := bolt.Open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	t0 := time.Now()
	st, err := bolt.LoadHistory(ctx, db, c, bolt.HistoryConfig{Tickets: *tickets, Cases: *nCases, Days: *days,
		End: time.Now(), Seed: *seed, Log: stdout})
	if err != nil {
		return err
	}
	fi, err := os.Stat(*data)
	if err != nil {
		return err
	}
	size := fi.Size()
	fmt.Fprintf(stdout, "history written to %s in %v: %d tickets (%d events), %d cases (%d events, %d open), %d MiB\n",
		*data, time.Since(t0).Round(time.Second), st.Tickets, st.TicketEvents, st.Cases, st.CaseEvents, st.OpenCases, size>>20)
	return nil
}
