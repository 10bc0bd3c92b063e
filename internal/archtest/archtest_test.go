package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// layer is where a package stands in the dependency rules.
type layer int

const (
	domain  layer = iota // hallserver/hall: imports nothing of ours
	engine               // pure logic over the domain: imports only the domain
	service              // runs engines over a store seam (interfaces): domain, engines, libraries
	library              // pure helpers (codecs, fonts, test tools): import domain and libraries
	adapter              // talks to one outside thing (disk, network, a device, a protocol)
	app                  // a front end that cmd wires: may use adapters it is given
	command              // cmd/*: wires everything
)

func (l layer) String() string {
	return [...]string{"domain", "engine", "service", "library", "adapter", "app", "command"}[l]
}

// layers classifies every package of the module (path below "onedoor/"). A package not listed
// here fails TestImportRules: decide its layer when you add it.
var layers = map[string]layer{
	"hallserver/hall": domain,

	"hallserver/queue": engine,
	// queuesim drives the queue engine through simulated days (a benchmark and its oracle).
	"hallserver/queue/queuesim": service,
	"hallserver/cases":          engine,

	"hallserver/enginehost": service,
	// kpi: the queue reports, pure facts and rows over the event logs' store seam (kpi.Source).
	"hallserver/kpi": service,
	// notify: case events → notifications in the outbox (store seam) → channels (sender seams).
	"hallserver/notify": service,
	// The behaviour every store of a seam shows (bookings, the long list, the outbox, topic
	// answers): the bbolt and the etcd stores run the same cases.
	"hallserver/storetest": service,

	"drivers/escpos":     library,
	"ui/cjkfont":         library,
	"ui/theme":           library,
	"internal/testtool":  library,
	"internal/archtest":  library,
	"internal/profiling": library, // the -pprof listeners of the commands
	"display/voice":      library,
	"hallserver/wire":    library, // the API's JSON bodies, shared by http and client
	"hallserver/attach":  library, // attachments: type from the bytes, photo metadata stripped
	"hallserver/export":  library, // CSV (with BOM) and XLSX of one table, formula-guarded
	// etcdtest: an in-process etcd cluster (embed) for hallctl dev-etcd and the HA tests.
	"hallserver/etcd/etcdtest": library,
	// The rules of staff, devices and sessions both account stores apply (token hashing, checks,
	// patches and their audit entries), and the cases both pass.
	"hallserver/authkit": library,
	// The stored form of a case event, shared by the bbolt and etcd case stores.
	"hallserver/caseformat":       library,
	"hallserver/authkit/authtest": library,
	// wecomfake: the local fake of the WeChat Work API (tests, demos); imports nothing of ours.
	"hallserver/wecom/wecomfake": library,
	// smtpfake: a local SMTP relay with STARTTLS for tests; imports nothing of ours.
	"hallserver/mailer/smtpfake": library,

	"hallserver/bolt":     adapter,
	"hallserver/etcd":     adapter, // the etcd v3 store of the halls, the owner election (docs/HA.md)
	"hallserver/http":     adapter,
	"hallserver/client":   adapter,
	"hallserver/webhook":  adapter,
	"hallserver/netlimit": adapter,
	"hallserver/campus":   adapter,
	// sso: the campus CAS server and WeChat Work OAuth (sign-in of requesters and staff).
	"hallserver/sso":     adapter,
	"hallserver/wecom":   adapter, // the WeChat Work API: token, app messages, group robots
	"hallserver/mailer":  adapter, // e-mail notices over SMTP with STARTTLS
	"drivers/printer":    adapter,
	"drivers/printersim": adapter,

	"kiosk":   app,
	"display": app,
}

// allowedAdapterImports are the adapter → adapter imports the rules accept, each with why.
var allowedAdapterImports = map[[2]string]string{
	// The in-process virtual printer (printer.Sim, the demo's and the tests' printer) drives
	// printersim's device model directly; printersim knows nothing of printer.
	{"drivers/printer", "drivers/printersim"}: "the sim transport is the virtual device",
}

// pkg is what go list tells of one package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// modulePackages lists the module's packages with their direct imports of module packages.
func modulePackages(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "onedoor/...")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string][]string{}
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		name := strings.TrimPrefix(p.ImportPath, "onedoor/")
		var ours []string
		for _, imp := range p.Imports {
			if rest, ok := strings.CutPrefix(imp, "onedoor/"); ok {
				ours = append(ours, rest)
			}
		}
		pkgs[name] = ours
	}
	return pkgs
}

// layerOf returns the layer of a package: cmd/* are commands; a package below a listed one
// (hallserver/http/open311) takes its parent's layer unless listed itself.
func layerOf(name string) (layer, bool) {
	if strings.HasPrefix(name, "cmd/") {
		return command, true
	}
	for p := name; p != "."; {
		if l, ok := layers[p]; ok {
			return l, true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, false
}

// parentOf reports whether a is b or below b.
func parentOf(b, a string) bool { return a == b || strings.HasPrefix(a, b+"/") }

// violation returns why from → to breaks the rules, or "".
func violation(from, to string) string {
	lf, _ := layerOf(from)
	lt, _ := layerOf(to)
	switch lf {
	case domain:
		return "the domain imports nothing of ours"
	case engine:
		if lt != domain {
			return "an engine imports only the domain"
		}
	case service:
		if lt != domain && lt != engine && lt != service && lt != library {
			return "a service imports only the domain, engines and libraries (storage through its seam)"
		}
	case library:
		if lt != domain && lt != library {
			return "a library imports only the domain and other libraries"
		}
	case adapter:
		switch {
		case lt == app || lt == command:
			return "an adapter does not import an app or a command"
		case lt == adapter && !parentOf(from, to) && !parentOf(to, from):
			if _, ok := allowedAdapterImports[[2]string{from, to}]; !ok {
				return "an adapter does not import another adapter (use an interface that cmd wires)"
			}
		}
	case app:
		if lt == command {
			return "an app does not import a command"
		}
	}
	return ""
}

// TestImportRules checks every import of the module against the layer rules of
// docs/DESIGN.md.
func TestImportRules(t *testing.T) {
	pkgs := modulePackages(t)
	var names []string
	for name := range pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := layerOf(name); !ok {
			t.Errorf("package %s has no layer: add it to layers in internal/archtest", name)
			continue
		}
		for _, imp := range pkgs[name] {
			if why := violation(name, imp); why != "" {
				t.Errorf("%s imports %s: %s", name, imp, why)
			}
		}
	}
	for name := range layers {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("layers lists %s, which is not a package of the module any more", name)
		}
	}
}

// TestRulesCatchViolations: the rules refuse the imports the design forbids (so the test above
// cannot pass by accident).
func TestRulesCatchViolations(t *testing.T) {
	for _, c := range []struct{ from, to string }{
		{"hallserver/hall", "hallserver/queue"},
		{"hallserver/queue", "hallserver/bolt"},
		{"hallserver/enginehost", "hallserver/bolt"},
		{"hallserver/queue", "hallserver/enginehost"},
		{"hallserver/cases", "hallserver/queue"},
		{"hallserver/http", "hallserver/bolt"},
		{"hallserver/bolt", "hallserver/http"},
		{"drivers/escpos", "drivers/printer"},
		{"hallserver/client", "kiosk"},
		{"kiosk", "cmd/kiosk"},
	} {
		if violation(c.from, c.to) == "" {
			t.Errorf("%s → %s passes the rules; want it refused", c.from, c.to)
		}
	}
	for _, c := range []struct{ from, to string }{
		{"hallserver/bolt", "hallserver/queue"},
		{"hallserver/bolt", "hallserver/enginehost"},
		{"hallserver/enginehost", "hallserver/cases"},
		{"hallserver/http", "hallserver/cases"},
		{"kiosk", "hallserver/client"},
		{"cmd/hallserver", "hallserver/http"},
		{"drivers/printer", "drivers/escpos"},
	} {
		if why := violation(c.from, c.to); why != "" {
			t.Errorf("%s → %s refused (%s); want it allowed", c.from, c.to, why)
		}
	}
}
