package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"onedoor/hallserver/etcd/etcdtest"
)

// devEtcdCmd runs a development etcd cluster in this process on loopback (docs/HA.md): -peers
// members with the given client ports (peer ports chosen free), data in -dir. It prints "ready"
// on a line of its own once the cluster has a leader, then runs until killed (or ctx ends).
func devEtcdCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev-etcd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory of the members (one subdirectory each)")
	peers := fs.Int("peers", 3, "number of members")
	ports := fs.String("client-ports", "", "comma-separated loopback client ports, one per member (default: chosen free)")
	election := fs.Uint("election-ms", 2500, "Raft election timeout in milliseconds")
	logLevel := fs.String("log-level", "error", "etcd's log level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("dev-etcd needs -dir DIR")
	}
	if *peers < 1 || *peers > 7 {
		return fmt.Errorf("-peers must be between 1 and 7, not %d", *peers)
	}
	var cp []int
	if *ports != "" {
		for _, p := range strings.Split(*ports, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("-client-ports: %q is not a port", p)
			}
			cp = append(cp, n)
		}
		if len(cp) != *peers {
			return fmt.Errorf("-client-ports names %d ports for %d peers", len(cp), *peers)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, etcdtest.WaitTimeout)
	defer cancel()
	c, err := etcdtest.Start(sctx, *dir, etcdtest.Options{Members: *peers, ClientPorts: cp, ElectionMs: *election, LogLevel: *logLevel})
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintln(stderr, "etcd endpoints:", strings.Join(c.Endpoints(), ","))
	fmt.Fprintln(stdout, "ready")
	return c.Wait(ctx)
}
