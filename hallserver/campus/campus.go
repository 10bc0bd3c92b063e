// Package campus reads a campus configuration (halls, services, counters, departments) from YAML,
// and holds the embedded demo campus with its demo accounts.
package campus

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/hall"
)

//go:embed demo.yaml
var demoYAML []byte

// Load reads and validates a campus from YAML. Unknown keys are errors, so a typo in a real
// campus file is caught at start-up instead of silently ignored.
func Load(r io.Reader) (hall.Campus, error) {
	c, err := Parse(r)
	if err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// Parse reads a campus from YAML without validating it (unknown keys are still errors): what
// hallctl campus apply sends, so that the server reports every problem.
func Parse(r io.Reader) (hall.Campus, error) {
	var c hall.Campus
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return c, hall.Errorf(hall.EINVALID, "", "campus file is empty")
		}
		return c, hall.Errorf(hall.EINVALID, "", "campus YAML: %v", err)
	}
	return c, nil
}

// Marshal writes a campus as YAML (the shape Load reads).
func Marshal(c hall.Campus) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("campus YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("campus YAML: %w", err)
	}
	return b.Bytes(), nil
}

// LoadFile reads and validates a campus YAML file.
func LoadFile(path string) (hall.Campus, error) {
	f, err := os.Open(path)
	if err != nil {
		return hall.Campus{}, fmt.Errorf("campus: %w", err)
	}
	defer f.Close()
	c, err := Load(f)
	if err != nil {
		return c, fmt.Errorf("campus %s: %w", path, err)
	}
	return c, nil
}

// Demo returns the embedded demo campus: three halls and thirteen departments.
func Demo() hall.Campus {
	c, err := Load(bytes.NewReader(demoYAML))
	if err != nil {
		// The file is embedded and tested; failing here is a build defect.
		panic(fmt.Sprintf("campus: embedded demo campus is invalid: %v", err))
	}
	return c
}

// DemoYAML returns the embedded demo campus file, a starting point for a real one.
func DemoYAML() []byte { return bytes.Clone(demoYAML) }

// DemoPassword is the password of every demo account. Demo accounts exist only in demo mode.
const DemoPassword = "demo"

// DemoDevice is an enrolled demo device with its well-known token.
type DemoDevice struct {
	Device hall.Device
	Token  string
}

// DemoStaff returns the demo staff accounts for a campus: admin, supervisor, the hotline operator
// (hotline), one counter account
// per counter (counter1… numbered across the halls in order, each allowed in its hall) and one
// handler per department named h-<code>.
func DemoStaff(c hall.Campus) []hall.Staff {
	staff := []hall.Staff{
		{Username: "admin", Name: "管理员 Administrator", Role: hall.RoleAdmin},
		{Username: "supervisor", Name: "督办 Supervisor", Role: hall.RoleSupervisor, Department: "office"},
		{Username: "hotline", Name: "热线坐席 Hotline operator", Role: hall.RoleHotline},
	}

	n := 0
	for _, h := range c.Halls {
		for _, k := range h.Counters {
			n++
			staff = append(staff, hall.Staff{
				Username: fmt.Sprintf("counter%d", n),
				Name:     fmt.Sprintf("%s %d号窗口 / %s counter %d", h.Name.Zh, k.Number, h.Name.En, k.Number),
				Role:     hall.RoleCounter,
				Halls:    []string{h.Code},
			})
		}
	}
	for _, d := range c.Departments {
		staff = append(staff, hall.Staff{
			Username:   "h-" + d.Code,
			Name:       d.Name.Zh + " / " + d.Name.En,
			Role:       hall.RoleHandler,
			Department: d.Code,
		})
	}
	// In demo mode every staff member's WeChat Work user ID is their username (the local fake
	// of the API, wecomfake, shows the notices arriving).
	for i := range staff {
		staff[i].WecomUser = staff[i].Username
	}
	return staff
}

// DemoDevices returns one kiosk (token demo-kiosk-<hall>) and one display (demo-display-<hall>)
// per hall.
func DemoDevices(c hall.Campus) []DemoDevice {
	var ds []DemoDevice
	for _, h := range c.Halls {
		for _, r := range []hall.Role{hall.RoleKiosk, hall.RoleDisplay} {
			id := fmt.Sprintf("demo-%s-%s", r, h.Code)
			ds = append(ds, DemoDevice{
				Device: hall.Device{ID: id, Role: r, Hall: h.Code, Name: h.Name.Zh + " " + string(r)},
				Token:  id,
			})
		}
	}
	return ds
}

// StaffLookup is the part of an account store that seeding needs besides hall.AuthService.
type StaffLookup interface {
	hall.AuthService
	Staff(ctx context.Context, username string) (*hall.Staff, error)
}

// SeedDemo creates the demo accounts and devices that do not exist yet (existing ones are left as
// they are, so restarts do not pay for password hashing again). Accounts are hashed in parallel,
// one per CPU, because bcrypt dominates the first start-up.
func SeedDemo(ctx context.Context, auth StaffLookup, c hall.Campus) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	for _, s := range DemoStaff(c) {
		_, err := auth.Staff(ctx, s.Username)
		if err == nil {
			continue
		} else if hall.ErrorCode(err) != hall.ENOTFOUND {
			return fmt.Errorf("seed demo staff %s: %w", s.Username, err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := auth.CreateStaff(ctx, s, DemoPassword); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("seed demo staff %s: %w", s.Username, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, d := range DemoDevices(c) {
		if _, err := auth.Authenticate(ctx, d.Token); err == nil {
			continue
		}
		if _, err := auth.CreateDevice(ctx, d.Device, d.Token); err != nil {
			return fmt.Errorf("seed demo device %s: %w", d.Device.ID, err)
		}
	}
	return nil
}

// Describe returns a short human summary of a campus (for start-up logs and hallctl).
func Describe(c hall.Campus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d halls, %d departments\n", c.Name.In("zh"), len(c.Halls), len(c.Departments))
	for _, h := range c.Halls {
		var svcs []string
		for _, s := range h.Services {
			svcs = append(svcs, s.Code+" "+s.Name.Zh)
		}
		fmt.Fprintf(&b, "  %s %s (%s): %d counters; %s\n", h.Code, h.Name.Zh, h.Name.En, len(h.Counters), strings.Join(svcs, ", "))
	}
	return b.String()
}

// Schedule returns when a service of a hall is open: its opening hours (the service's, else the
// hall's) in the campus zone, closed on the campus calendar's holidays. A campus without hours
// gives the zero Schedule (nothing known).
func Schedule(c *hall.Campus, hallCode, service string) (hall.Schedule, error) {
	h, ok := c.Hall(hallCode)
	if !ok {
		return hall.Schedule{}, hall.Errorf(hall.ENOTFOUND, "hall", "no hall %q", hallCode)
	}
	cal, err := cases.CampusCalendar(c)
	if err != nil {
		return hall.Schedule{}, fmt.Errorf("campus calendar: %w", err)
	}
	s, err := hall.NewSchedule(h.ServiceHours(service), cal.Loc, cal)
	if err != nil {
		return hall.Schedule{}, fmt.Errorf("hours of %s/%s: %w", hallCode, service, err)
	}
	return s, nil
}
