package http

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onedoor/hallserver/http/open311"
	"onedoor/internal/testtool"
)

// clientRun is what hallserver/http/open311/testdata/client.js prints: what the real Open311
// client library returned for each call.
type clientRun struct {
	Endpoint  string `json:"endpoint"`
	Discovery struct {
		Endpoints []struct {
			URL     string   `json:"url"`
			Formats []string `json:"formats"`
		} `json:"endpoints"`
	} `json:"discovery"`
	Services   []open311.Service `json:"services"`
	Definition struct {
		ServiceCode string `json:"service_code"`
	} `json:"definition"`
	Submitted []open311.Created `json:"submitted"`
	One       []open311.Request `json:"one"`
	Mine      []open311.Request `json:"mine"`
	ByIds     []open311.Request `json:"byIds"`
}

// open311Client returns the node_modules directory holding the real npm Open311 client
// (open311@0.0.12 with its stand-ins), which scripts/deps.sh installs; missing, the test fails.
func open311Client(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testtool.NPMPrefix(), "open311", "node_modules")
	b, err := os.ReadFile(filepath.Join(dir, "open311", "package.json"))
	var pkg struct{ Version string }
	if err != nil || json.Unmarshal(b, &pkg) != nil || pkg.Version != "0.0.12" {
		t.Fatalf("the npm Open311 client open311@0.0.12 is not installed in %s: scripts/deps.sh test installs it (%v)", dir, err)
	}
	return dir
}

// TestOpen311RealClient runs the real npm Open311 client (Code for America's node-open311,
// open311@0.0.12, unmodified; two dependencies that cannot install here replaced by thin
// stand-ins, scripts/deps.sh) against the server, in XML (the spec's default) and JSON: it
// discovers the endpoint, lists the services, reads a definition, submits a request with a
// location and a picture link, reads it back by ID without a key (the public record) and in the
// list with its key (its own request, with the text and the place), and by a list of IDs.
func TestOpen311RealClient(t *testing.T) {
	node := testtool.Path(t, "node")
	modules := open311Client(t)
	script, err := filepath.Abs(filepath.Join("open311", "testdata", "client.js"))
	if err != nil {
		t.Fatal(err)
	}
	e := newOpen311Env(t)
	cat, err := e.cs.Catalogue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"xml", "json"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), node, script, e.ts.URL, keyWeChat, format)
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("client: %v\n%s", err, stderr.String())
			}
			var run clientRun
			if err := json.Unmarshal(out, &run); err != nil {
				t.Fatalf("client output: %v\n%s", err, out)
			}
			if run.Endpoint != e.ts.URL+"/open311/v2/" || len(run.Discovery.Endpoints) != 1 || len(run.Discovery.Endpoints[0].Formats) != 2 {
				t.Fatalf("discovery: %s", out)
			}
			if len(run.Services) != len(cat.Categories) || run.Services[0].ServiceCode != cat.Categories[0].Code ||
				run.Services[0].ServiceName != cat.Categories[0].Name.Zh || run.Services[0].Type != "realtime" {
				t.Fatalf("services (%d of %d): %s", len(run.Services), len(cat.Categories), out)
			}
			if run.Definition.ServiceCode != "library-seats" {
				t.Fatalf("definition: %s", out)
			}
			if len(run.Submitted) != 1 || run.Submitted[0].ServiceRequestID == "" || !strings.Contains(run.Submitted[0].ServiceNotice, run.Submitted[0].ServiceRequestID) {
				t.Fatalf("submitted: %s", out)
			}
			num := run.Submitted[0].ServiceRequestID
			c, err := e.cs.Get(t.Context(), num)
			if err != nil {
				t.Fatal(err)
			}
			if c.Source != "open311:wechat" || c.Requester.Name != "张三" || c.Requester.Phone != "13812345678" || c.Place == nil ||
				*c.Place.Lat != 39.90765 || *c.Place.Long != 116.39712 || c.Place.Address != "图书馆三楼东侧" || c.Place.MediaURL != "https://img.example.edu.cn/seat.jpg" {
				t.Fatalf("case %+v place %+v", c, c.Place)
			}
			// By ID, without a key (the client sends none on GET): the public record.
			if len(run.One) != 1 || run.One[0].ServiceRequestID != num || run.One[0].Status != "open" || run.One[0].ServiceCode != "library-seats" ||
				run.One[0].Description != "" || run.One[0].Address != "" || run.One[0].MediaURL != "" ||
				run.One[0].Lat == nil || *run.One[0].Lat != 39.908 || *run.One[0].Long != 116.397 || run.One[0].RequestedDatetime == "" {
				t.Fatalf("public record: %s", out)
			}
			// The list with its key: its own request, with the text and the place.
			var mine *open311.Request
			for i := range run.Mine {
				if run.Mine[i].ServiceRequestID == num {
					mine = &run.Mine[i]
				}
			}
			if mine == nil || mine.Description != "三楼自习室有人长期用书占座 & <书包>" || mine.Address != "图书馆三楼东侧" || mine.Lat == nil ||
				*mine.Lat != 39.90765 || *mine.Long != 116.39712 || mine.MediaURL != "https://img.example.edu.cn/seat.jpg" || mine.AgencyResponsible == "" {
				t.Fatalf("keyed list: %s", out)
			}
			if len(run.ByIds) != 1 || run.ByIds[0].ServiceRequestID != num {
				t.Fatalf("by IDs: %s", out)
			}
			for _, leak := range []string{"13812345678", "张三"} {
				if strings.Contains(string(out), leak) {
					t.Fatalf("the client read %q back: %s", leak, out)
				}
			}
		})
	}
}
