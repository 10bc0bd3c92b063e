// Command hallctl administers a OneDoor installation: staff accounts, device tokens, the campus
// file, backups and restores.
//
//	hallctl campus check campus.yaml       validate a campus file and summarise it
//	hallctl campus demo > campus.yaml      print the demo campus as a starting point
//	hallctl campus get -server URL > c.yaml   the running server's campus (token in ONEDOOR_TOKEN)
//	hallctl campus apply -server URL c.yaml   change it at once, without a restart
//	hallctl staff add -data F -username U -role counter -halls students   (password on stdin)
//	hallctl device add -data F -role kiosk -hall students                 (prints the token once)
//	hallctl backup -server URL -o backup.db            online, while the server runs (token in ONEDOOR_TOKEN)
//	hallctl backup -data F -o backup.db                offline, server stopped
//	hallctl restore -data F backup.db                  server stopped
//	hallctl history -data F [-tickets N -cases N -days N]   a year of history in a new file (measurements)
//	hallctl latency -server URL [-username U] [-n 100] PATH…  p50/p99 of GETs (password on stdin)
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
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
  hallctl staff add -data FILE -username NAME -role admin|supervisor|counter|handler [-halls h1,h2|all] [-department CODE] [-name TEXT] [-replace]   (password read from stdin; a counter needs -halls, a handler -department)
  hallctl device add -data FILE -role kiosk|display -hall HALL [-name TEXT] [-token TOKEN]   (default: a generated token; -token needs at least 128 bits)
  hallctl backup (-server URL [-token -] | -data FILE) -o OUT   (admin token from ONEDOOR_TOKEN, or on stdin with -token -)
  hallctl restore -data FILE BACKUP
  hallctl history -data FILE [-campus FILE] [-tickets 300000] [-cases 30000] [-days 365] [-seed 1]   (a new file; for measurements)
  hallctl latency [-server URL] [-username NAME] [-n 100] PATH...   (password on stdin; p50/p99 of GET PATH)`

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
	case "backup":
		return backupCmd(ctx, args[1:], stdin, stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout, stderr)
	case "history":
		return historyCmd(ctx, args[1:], stdout, stderr)
	case "latency":
		return latencyCmd(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func staffCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 1 || args[0] != "add" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data/onedoor.db", "bbolt data file (server stopped)")
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "admin, supervisor, counter or handler")
	halls := fs.String("halls", "", `comma-separated halls the account may work in, or "all" (required for a counter)`)
	dept := fs.String("department", "", "department code of a handler")
	name := fs.String("name", "", "display name")
	replace := fs.Bool("replace", false, "replace an existing account of that name (its password, role and halls)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	r := hall.Role(*role)
	if *username == "" {
		return errors.New("-username is required")
	}
	if !r.Valid() || r.Device() {
		return fmt.Errorf("-role %q: want admin, supervisor, counter or handler", *role)
	}
	if r == hall.RoleHandler && *dept == "" {
		return errors.New("-department is required for a handler")
	}
	hallList, err := staffHalls(r, *halls)
	if err != nil {
		return err
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	if len(pw) < 8 {
		return errors.New("password (read from stdin) must have at least 8 characters")
	}
	s := hall.Staff{Username: *username, Name: *name, Role: r, Halls: hallList, Department: *dept, CreatedAt: time.Now().UTC()}
	db, err := bolt.Open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	auth := bolt.NewAuth(db)
	// The file is locked while open, so nothing adds the name between the look-up and the write.
	switch _, err := auth.Staff(ctx, strings.TrimSpace(s.Username)); {
	case err == nil && !*replace:
		return fmt.Errorf("staff %q exists: give -replace to overwrite its password, role and halls", s.Username)
	case err != nil && hall.ErrorCode(err) != hall.ENOTFOUND:
		return fmt.Errorf("staff %q: %w", s.Username, err)
	}
	if err := auth.CreateStaff(ctx, s, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "staff %s (%s) saved\n", s.Username, s.Role)
	return nil
}

func deviceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 || args[0] != "add" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("device add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data/onedoor.db", "bbolt data file (server stopped)")
	role := fs.String("role", "", "kiosk or display")
	h := fs.String("hall", "", "hall code the device belongs to")
	name := fs.String("name", "", "where the device stands")
	token := fs.String("token", "", "token to use: at least 128 bits, e.g. 22 base64url or 32 hex characters (default: a new random one, 256 bits)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *token != "" {
		if err := checkDeviceToken(*token); err != nil {
			return err
		}
	}
	r := hall.Role(*role)
	if !r.Device() {
		return fmt.Errorf("-role %q: want kiosk or display", *role)
	}
	if *h == "" {
		return errors.New("-hall is required")
	}
	db, err := bolt.Open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	d := hall.Device{ID: fmt.Sprintf("%s-%s-%d", r, *h, time.Now().UnixNano()), Role: r, Hall: *h, Name: *name, CreatedAt: time.Now().UTC()}
	tok, err := bolt.NewAuth(db).CreateDevice(ctx, d, *token)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "device %s enrolled; its token (shown once):\n%s\n", d.ID, tok)
	return nil
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
