package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/campus"
	"onedoor/hallserver/hall"
)

// The campus commands:
//
//	hallctl campus check FILE                 validate a campus file (offline) and summarise it
//	hallctl campus demo                       the demo campus as a starting point
//	hallctl campus get -server URL            the running server's campus as YAML (token in ONEDOOR_TOKEN)
//	hallctl campus get -data FILE             the campus stored in a data file (server stopped)
//	hallctl campus apply -server URL FILE     make FILE the running server's campus at once
//
// campus get writes the version on its first line ("# onedoor campus version: N"); apply sends
// it back as If-Match, so that a file edited from an old version is refused (409) instead of
// undoing another administrator's change. A file without that line applies over the current
// version. Every problem the server finds is listed with its field path.

// versionLine starts the first line campus get writes.
const versionLine = "# onedoor campus version: "

func campusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "demo" {
		_, err := stdout.Write(campus.DemoYAML())
		return err
	}
	if len(args) < 1 {
		return errors.New(usage)
	}
	switch args[0] {
	case "check":
		if len(args) != 2 {
			return errors.New(usage)
		}
		c, err := campus.LoadFile(args[1])
		if err != nil {
			return fmt.Errorf("%w%s", err, problemLines(err))
		}
		fmt.Fprint(stdout, campus.Describe(c))
		return nil
	case "get":
		return campusGet(ctx, args[1:], stdout, stderr)
	case "apply":
		return campusApply(ctx, args[1:], stdout, stderr)
	}
	return errors.New(usage)
}

func campusGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("campus get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rf := remoteFlags(fs)
	data := fs.String("data", "", "read the campus stored in this data file instead (server stopped)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("campus get takes no arguments")
	}
	var (
		c       hall.Campus
		version string
	)
	if *data != "" {
		db, err := bolt.Open(*data)
		if err != nil {
			return err
		}
		defer db.Close()
		sc, v, ok, err := db.StoredCampus()
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s keeps no campus yet (the server stores it at its first start)", *data)
		}
		c, version = sc, fmt.Sprint(v)
	} else {
		cl, err := rf.client()
		if err != nil {
			return err
		}
		got, err := cl.Campus(ctx)
		if err != nil {
			return err
		}
		c, version = got.Campus, got.Version
	}
	b, err := campus.Marshal(c)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s%s\n", versionLine, version); err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

func campusApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("campus apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rf := remoteFlags(fs)
	version := fs.String("version", "", "the version the file was edited from (default: its first line as campus get wrote it, else the current one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("campus apply needs one FILE")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("campus apply: %w", err)
	}
	c, err := campus.Parse(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	cl, err := rf.client()
	if err != nil {
		return err
	}
	v := *version
	if v == "" {
		v = fileVersion(b)
	}
	if v == "" {
		cur, err := cl.Campus(ctx)
		if err != nil {
			return err
		}
		v = cur.Version
	}
	got, err := cl.ApplyCampus(ctx, v, c)
	if err != nil {
		if hall.ErrorCode(err) == hall.ECONFLICT {
			return fmt.Errorf("%w\n(the campus changed since version %s: campus get it again and redo the edit)", err, v)
		}
		return fmt.Errorf("%w%s", err, problemLines(err))
	}
	fmt.Fprintf(stdout, "campus applied: version %s\n%s", got.Version, campus.Describe(got.Campus))
	return nil
}

// fileVersion returns the version of the first line campus get wrote ("" when none).
func fileVersion(b []byte) string {
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	if v, ok := strings.CutPrefix(string(line), versionLine); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// problemLines lists every problem of an error that has several, one per line with its field.
func problemLines(err error) string {
	var he *hall.Error
	if !errors.As(err, &he) || len(he.Details) < 2 {
		return ""
	}
	var b strings.Builder
	for _, d := range he.Details {
		fmt.Fprintf(&b, "\n  %s: %s", d.Field, d.Message)
	}
	return b.String()
}
