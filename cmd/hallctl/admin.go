package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"onedoor/hallserver/bolt"
	"onedoor/hallserver/client"
	"onedoor/hallserver/hall"
	"onedoor/hallserver/wire"
)

// The staff, device and audit commands: against a running server through the admin API
// (-server, ONEDOOR_TOKEN), and for staff add and device add also offline on the data file
// (-data, server stopped: how the first admin of an empty file is made).

func staffCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("staff "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	rm := remoteFlags(fs)
	switch args[0] {
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		list, err := c.Staff(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tHALLS\tDEPARTMENT\tSTATE\tASSIGNMENTS")
		for _, s := range list {
			state := "active"
			if s.Disabled {
				state = "disabled"
			}
			var as []string
			for _, a := range s.Assignments {
				as = append(as, fmt.Sprintf("%s%v %s..%s", a.Hall, a.Counters, a.From, a.Until))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Username, s.Role, orAll(s.Halls), strings.Join(s.Departments, ","), state, strings.Join(as, "; "))
		}
		return tw.Flush()
	case "add":
		return staffAdd(ctx, fs, rm, args[1:], stdin, stdout)
	case "disable", "enable":
		username := fs.String("username", "", "login name")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *username == "" {
			return fmt.Errorf("staff %s needs -username", args[0])
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		off := args[0] == "disable"
		if _, err := c.PatchStaff(ctx, *username, wire.StaffPatch{Disabled: &off}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "staff %s %sd\n", *username, args[0])
		return nil
	case "reset":
		username := fs.String("username", "", "login name")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *username == "" {
			return errors.New("staff reset needs -username")
		}
		pw, err := readPassword(stdin)
		if err != nil {
			return err
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		if _, err := c.PatchStaff(ctx, *username, wire.StaffPatch{Password: &pw}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset; its sessions ended\n", *username)
		return nil
	}
	return fmt.Errorf("unknown staff command %q\n%s", args[0], usage)
}

func orAll(halls []string) string {
	if len(halls) == 0 {
		return "all"
	}
	return strings.Join(halls, ",")
}

// readPassword reads the password from stdin's first line and applies the length rule.
func readPassword(stdin io.Reader) (string, error) {
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	if utf8.RuneCountInString(pw) < hall.MinPasswordLength {
		return "", fmt.Errorf("password (read from stdin) must have at least %d characters", hall.MinPasswordLength)
	}
	return pw, nil
}

func staffAdd(ctx context.Context, fs *flag.FlagSet, rm *remote, args []string, stdin io.Reader, stdout io.Writer) error {
	data := fs.String("data", "./data/onedoor.db", "bbolt data file (offline, server stopped; without -server)")
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "admin, supervisor, counter or handler")
	halls := fs.String("halls", "", `comma-separated halls the account may work in, or "all" (required for a counter)`)
	dept := fs.String("department", "", "department code of a handler")
	name := fs.String("name", "", "display name")
	replace := fs.Bool("replace", false, "offline or -etcd: replace an existing account of that name (its password, role and halls)")
	et := etcdTargetFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := hall.Role(*role)
	if *username == "" {
		return errors.New("-username is required")
	}
	if !r.Valid() || r.Device() {
		return fmt.Errorf("-role %q: want admin, supervisor, counter, handler or hotline", *role)
	}
	if r == hall.RoleHandler && *dept == "" {
		return errors.New("-department is required for a handler")
	}
	hallList, err := staffHalls(r, *halls)
	if err != nil {
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	onEtcd, err := et.set(fs)
	if err != nil {
		return err
	}
	if onEtcd {
		s := hall.Staff{Username: strings.TrimSpace(*username), Name: *name, Role: r, Halls: hallList, Department: *dept}
		if err := et.addStaffOnEtcd(ctx, s, pw, *replace); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "staff %s (%s) saved on etcd\n", s.Username, s.Role)
		return nil
	}
	online, err := rm.remoteOrData(fs)
	if err != nil {
		return err
	}
	if online {
		c, err := rm.client()
		if err != nil {
			return err
		}
		req := wire.StaffRequest{Username: *username, Password: pw, Name: *name, Role: r, Halls: hallList}
		if *dept != "" {
			req.Departments = []string{*dept}
		}
		if _, err := c.AddStaff(ctx, req); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "staff %s (%s) added\n", *username, r)
		return nil
	}
	s := hall.Staff{Username: strings.TrimSpace(*username), Name: *name, Role: r, Halls: hallList, Department: *dept, CreatedAt: time.Now().UTC()}
	db, err := bolt.Open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	auth := bolt.NewAuth(db)
	// The file is locked while open, so nothing adds the name between the look-up and the write.
	switch _, err := auth.Staff(ctx, s.Username); {
	case err == nil && !*replace:
		return fmt.Errorf("staff %q exists: give -replace to overwrite its password, role and halls", s.Username)
	case err == nil:
		if err := auth.CreateStaff(ctx, s, pw); err != nil {
			return err
		}
		err = bolt.NewAudit(db, 0, nil, nil).Record(ctx, hall.AuditEntry{At: time.Now(), Actor: offlineActor, Kind: hall.AuditStaffUpdated,
			Target: s.Username, Detail: "replaced offline, with its password; role=" + string(s.Role)})
		if err != nil {
			return err
		}
	case hall.ErrorCode(err) != hall.ENOTFOUND:
		return fmt.Errorf("staff %q: %w", s.Username, err)
	default:
		if _, err := auth.AddStaff(ctx, offlineActor, s, pw); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "staff %s (%s) saved\n", s.Username, s.Role)
	return nil
}

// offlineActor is the audit trail's actor of changes made on the data file.
const offlineActor = "hallctl (offline)"

func deviceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) < 1 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("device "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	rm := remoteFlags(fs)
	switch args[0] {
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		list, err := c.Devices(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tHALL\tNAME\tCREATED\tSTATE")
		for _, d := range list {
			state := "enrolled"
			if d.Revoked {
				state = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Role, d.Hall, d.Name, d.Created.Format(time.RFC3339), state)
		}
		return tw.Flush()
	case "add":
		return deviceAdd(ctx, fs, rm, args[1:], stdout)
	case "revoke":
		id := fs.String("id", "", "device ID (hallctl device list)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *id == "" {
			return errors.New("device revoke needs -id")
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		if err := c.RevokeDevice(ctx, *id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device %s revoked\n", *id)
		return nil
	}
	return fmt.Errorf("unknown device command %q\n%s", args[0], usage)
}

func deviceAdd(ctx context.Context, fs *flag.FlagSet, rm *remote, args []string, stdout io.Writer) error {
	data := fs.String("data", "./data/onedoor.db", "bbolt data file (offline, server stopped; without -server)")
	role := fs.String("role", "", "kiosk or display")
	h := fs.String("hall", "", "hall code the device belongs to")
	name := fs.String("name", "", "where the device stands")
	token := fs.String("token", "", "offline: token to use, at least 128 bits, e.g. 22 base64url or 32 hex characters (default: a new random one, 256 bits)")
	et := etcdTargetFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := hall.Role(*role)
	if !r.Device() {
		return fmt.Errorf("-role %q: want kiosk or display", *role)
	}
	if *h == "" {
		return errors.New("-hall is required")
	}
	onEtcd, err := et.set(fs)
	if err != nil {
		return err
	}
	if onEtcd {
		if *token != "" {
			return errors.New("-token is for -data only: on etcd the device gets a new random token")
		}
		id, tok, err := et.addDeviceOnEtcd(ctx, hall.Device{Role: r, Hall: *h, Name: *name})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device %s enrolled on etcd; its token (shown once):\n%s\n", id, tok)
		return nil
	}
	online, err := rm.remoteOrData(fs)
	if err != nil {
		return err
	}
	if online {
		if *token != "" {
			return errors.New("-token is offline only: the server makes the token of a device enrolled through the API")
		}
		c, err := rm.client()
		if err != nil {
			return err
		}
		d, err := c.EnrolDevice(ctx, wire.DeviceRequest{Role: r, Hall: *h, Name: *name})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "device %s enrolled; its token (shown once):\n%s\n", d.ID, d.Token)
		return nil
	}
	if *token != "" {
		if err := checkDeviceToken(*token); err != nil {
			return err
		}
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
	err = bolt.NewAudit(db, 0, nil, nil).Record(ctx, hall.AuditEntry{At: time.Now(), Actor: offlineActor, Kind: hall.AuditDeviceAdded,
		Target: d.ID, Detail: fmt.Sprintf("role=%s hall=%s name=%s", d.Role, d.Hall, d.Name)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "device %s enrolled; its token (shown once):\n%s\n", d.ID, tok)
	return nil
}

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rm := remoteFlags(fs)
	var q client.AuditQuery
	fs.StringVar(&q.Actor, "actor", "", "who acted (username, device ID)")
	fs.StringVar(&q.Kind, "kind", "", "a kind (staff.disabled) or its family (staff)")
	fs.StringVar(&q.Target, "target", "", "what was acted on")
	since := fs.String("since", "", "entries from this time (RFC 3339)")
	until := fs.String("until", "", "entries up to this time (RFC 3339)")
	limit := fs.Int("limit", 100, "entries to print at most")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, t := range []struct {
		v   string
		dst *time.Time
	}{{*since, &q.Since}, {*until, &q.Until}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return fmt.Errorf("-since/-until %q: want RFC 3339, e.g. 2027-01-04T08:00:00+08:00", t.v)
		}
		*t.dst = at
	}
	c, err := rm.client()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tACTOR\tKIND\tTARGET\tDETAIL")
	n := 0
	for n < *limit {
		q.Limit = min(*limit-n, 500)
		page, err := c.Audit(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Kind, e.Target, e.Detail)
			n++
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	return tw.Flush()
}
