//go:build linux

package kiosk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onedoor/hallserver/hall"
)

// smallDisk mounts a tmpfs of the size ("256k") on a new directory and unmounts it at the end
// of the test. It skips the test when the process may not mount (not root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("mount a %s tmpfs (needs root): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the file system is full (ENOSPC) and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{64 << 10, 4 << 10, 512, 1} {
		buf := make([]byte, n)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", dir, err)
				}
				break
			}
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return path
}

// screenTexts returns every text on the kiosk's window (labels and canvas texts).
func (k *kioskEnv) screenTexts() []string {
	var out []string
	for _, o := range test.LaidOutObjects(k.win.Content()) {
		switch v := o.(type) {
		case *canvas.Text:
			out = append(out, v.Text)
		case *widget.Label:
			out = append(out, v.Text)
		}
	}
	return out
}

// storageState returns the state the hall server has for the kiosk's request storage ("" none).
func (e *hallEnv) storageState() string {
	for _, d := range e.deviceStates() {
		if d.Kind == hall.DeviceStorage {
			return d.State
		}
	}
	return ""
}

// TestRequestNotKeptOnFullDisk: the kiosk's outbox lives on a full file system (a small tmpfs,
// filled after the outbox was opened) and the hall server is away, so a walk-in request can be
// neither stored nor sent. People keep confirming requests, as at the hall where 11 of 15
// "saved" requests were never stored: every request the screen calls saved (with a reference)
// is in the outbox, and once a write fails the screen says the request was not logged and sends
// the person to a counter, with no "saved" title and no reference. When the server is back the
// kiosk has reported the storage fault (the snapshot's devices); when space is back the next
// request is kept and the kiosk reports its storage ok.
func TestRequestNotKeptOnFullDisk(t *testing.T) {
	disk := smallDisk(t, "256k")
	env := newHallEnv(t)
	k := newKiosk(t, env, kioskOpts{printer: NoPrinter{}, outboxPath: filepath.Join(disk, "outbox.db")})
	k.waitScreen(ScreenHome)
	env.down()
	k.waitTicking("out of service", func(s State) bool { return s.Screen == ScreenOutOfService })
	filler := fillDisk(t, disk)

	kept, lost := 0, 0
	for i := 0; i < 60 && lost == 0; i++ {
		k.tap("request")
		k.tap("kind:complaint")
		k.tap("topic:dorm-repairs")
		k.tap("submit")
		st := k.waitFor("receipt", func(s State) bool {
			return s.Screen == ScreenReceipt && !s.Request.Printing && k.ui.rev == s.Rev
		})
		r := st.Request
		texts := strings.Join(k.screenTexts(), "\n")
		pending, err := k.outbox.Pending()
		if err != nil {
			t.Fatal(err)
		}
		stored := false
		for _, p := range pending {
			stored = stored || (r.Reference != "" && Reference(p.IdempotencyKey) == r.Reference)
		}
		switch {
		case r.Case != nil:
			t.Fatalf("request %d: a case while the server is down: %+v", i, r.Case)
		case r.Queued || r.Reference != "":
			if !stored {
				t.Fatalf("request %d: the screen says saved as %s, but the outbox does not have it (%d kept before); screen:\n%s",
					i, r.Reference, kept, texts)
			}
			kept++
		default:
			lost++
			for _, m := range []Msg{"req.queued.title", "req.queued.body"} {
				if strings.Contains(texts, T(st.Lang, m)) {
					t.Fatalf("request %d not kept, but the screen shows %q:\n%s", i, T(st.Lang, m), texts)
				}
			}
			if strings.Contains(texts, "K-") {
				t.Fatalf("request %d not kept, but the screen shows a reference:\n%s", i, texts)
			}
			for _, m := range []Msg{"req.unsaved.title", "req.unsaved.body", "req.unsaved.counter"} {
				if !strings.Contains(texts, T(st.Lang, m)) {
					t.Fatalf("request %d not kept: the screen lacks %q:\n%s", i, T(st.Lang, m), texts)
				}
			}
		}
		k.flow.Finish()
		k.waitScreen(ScreenOutOfService)
	}
	if lost == 0 {
		t.Fatalf("%d requests kept on a full disk: the write never failed", kept)
	}
	t.Logf("full disk: %d requests kept (freed pages of the file), then the first write failed", kept)

	env.up()
	k.waitTicking("storage fault reported", func(State) bool { return env.storageState() == hall.DeviceError })

	// Space is back: the next request is stored and delivered, and the storage reported ok.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	k.waitTicking("home", func(s State) bool { return s.Screen == ScreenHome })
	k.tap("request")
	k.tap("kind:consultation")
	k.tap("topic:dorm-repairs")
	k.tap("submit")
	st := k.waitFor("receipt", func(s State) bool { return s.Screen == ScreenReceipt && !s.Request.Printing })
	if st.Request.Case == nil {
		t.Fatalf("request after repair: %+v", st.Request)
	}
	k.waitTicking("storage ok reported", func(State) bool { return env.storageState() == hall.DeviceOK })
}
