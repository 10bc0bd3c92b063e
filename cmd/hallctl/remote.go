package main

import (
	"errors"
	"flag"
	"net/http"
	"os"
	"strings"
	"time"

	"onedoor/hallserver/client"
)

// remote is the plumbing of every command that works against a running server through the API:
// the -server flag, the admin token from ONEDOOR_TOKEN, the client. Commands register it on
// their flag set with remoteFlags and call client after parsing.
type remote struct {
	server *string
}

// remoteFlags registers -server on fs.
func remoteFlags(fs *flag.FlagSet) *remote {
	return &remote{server: fs.String("server", os.Getenv("ONEDOOR_SERVER"), "hall server URL, e.g. http://127.0.0.1:8080 (default: ONEDOOR_SERVER); the admin token is read from ONEDOOR_TOKEN")}
}

// set reports whether -server was given (or ONEDOOR_SERVER set). A command that also works
// offline asks remoteOrData instead.
func (r *remote) set() bool { return *r.server != "" }

// remoteOrData reports whether a command that works both ways runs through the API: yes when
// -server (or ONEDOOR_SERVER) is set, unless -data was given on the command line; both on the
// command line is an error.
func (r *remote) remoteOrData(fs *flag.FlagSet) (bool, error) {
	server, data := false, false
	fs.Visit(func(f *flag.Flag) {
		server = server || f.Name == "server"
		data = data || f.Name == "data"
	})
	if server && data {
		return false, errors.New("give -server (through the API) or -data (offline, server stopped), not both")
	}
	return r.set() && !data, nil
}

// client returns the API client of -server with the token of ONEDOOR_TOKEN.
func (r *remote) client() (*client.Client, error) {
	if *r.server == "" {
		return nil, errors.New("-server is required (or ONEDOOR_SERVER)")
	}
	tok := strings.TrimSpace(os.Getenv("ONEDOOR_TOKEN"))
	if tok == "" {
		return nil, errors.New("set ONEDOOR_TOKEN to an administrator's token (POST /api/v1/session answers one)")
	}
	return &client.Client{BaseURL: strings.TrimRight(*r.server, "/"), Token: tok, HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}
