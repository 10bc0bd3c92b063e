package escpos

import (
	"errors"
	"testing"
)

func TestDecodeStatusPythonEscposBytes(t *testing.T) {
	// test_function_status.py: 0x12 and 0x7e are valid replies;
	// 0x81, 0x01, 0x80, 0x02 and 0x10 are not.
	for _, c := range []byte{0x12, 0x7e} {
		if !ValidStatusByte(c) {
			t.Errorf("%#x should be valid", c)
		}
	}
	for _, c := range []byte{0x81, 0x01, 0x80, 0x02, 0x10, 0x00, 0xff, 0x13} {
		if _, err := DecodeStatus(StatusPrinter, c); !errors.Is(err, ErrBadStatus) {
			t.Errorf("%#x: err = %v, want ErrBadStatus", c, err)
		}
	}
	// RT_MASK_PAPER 0x12 = adequate, RT_MASK_LOWPAPER 0x1e = near end,
	// RT_MASK_NOPAPER 0x72 = no paper (test_query_paper_status).
	paper := []struct {
		c            byte
		nearEnd, out bool
	}{{0x12, false, false}, {0x1e, true, false}, {0x72, false, true}, {0x7e, true, true}}
	for _, p := range paper {
		s, err := DecodeStatus(StatusPaper, p.c)
		if err != nil {
			t.Fatal(err)
		}
		if s.PaperNearEnd != p.nearEnd || s.PaperOut != p.out {
			t.Errorf("paper %#x: near end %v out %v", p.c, s.PaperNearEnd, s.PaperOut)
		}
	}
}

func TestDecodeStatusEpsonBits(t *testing.T) {
	tests := []struct {
		kind  StatusKind
		reply byte
		want  Status
	}{
		{StatusPrinter, 0x12, Status{}},
		{StatusPrinter, 0x1A, Status{Offline: true}},
		{StatusPrinter, 0x16, Status{DrawerHigh: true}},
		{StatusPrinter, 0x32, Status{WaitingRecovery: true}},
		{StatusPrinter, 0x52, Status{FeedButton: true}},
		{StatusOffline, 0x16, Status{CoverOpen: true}},
		{StatusOffline, 0x1A, Status{FeedingByHand: true}},
		{StatusOffline, 0x32, Status{PaperEndStop: true}},
		{StatusOffline, 0x52, Status{ErrorOccurred: true}},
		{StatusError, 0x1A, Status{CutterError: true}},
		{StatusError, 0x32, Status{UnrecoverableError: true}},
		{StatusError, 0x52, Status{AutoRecoverableError: true}},
		{StatusError, 0x16, Status{}},                   // bit 2 undefined for n = 3
		{StatusPaper, 0x16, Status{PaperNearEnd: true}}, // clone setting one bit
		{StatusPaper, 0x32, Status{PaperOut: true}},
	}
	for _, tt := range tests {
		got, err := DecodeStatus(tt.kind, tt.reply)
		if err != nil {
			t.Fatalf("n=%d %#x: %v", tt.kind, tt.reply, err)
		}
		tt.want.Have[tt.kind], tt.want.Raw[tt.kind] = true, tt.reply
		if got != tt.want {
			t.Errorf("n=%d %#x:\n got %+v\nwant %+v", tt.kind, tt.reply, got, tt.want)
		}
	}
	if _, err := DecodeStatus(5, 0x12); !errors.Is(err, ErrArgument) {
		t.Errorf("kind 5: %v", err)
	}
}

func TestStatusMergeAndReady(t *testing.T) {
	var s Status
	if err := s.Merge(StatusPrinter, 0x1A); err != nil { // offline
		t.Fatal(err)
	}
	if err := s.Merge(StatusOffline, 0x16); err != nil { // cover open
		t.Fatal(err)
	}
	if !s.Offline || !s.CoverOpen || s.Ready() {
		t.Errorf("merged %+v", s)
	}
	if got := s.String(); got != "offline, cover open" {
		t.Errorf("String() = %q", got)
	}
	near, _ := DecodeStatus(StatusPaper, 0x1E)
	if !near.Ready() {
		t.Error("paper near end must not stop printing")
	}
	if (Status{}).String() != "ok" {
		t.Error("zero status should read ok")
	}
}

func FuzzDecodeStatus(f *testing.F) {
	for _, seed := range []struct {
		k byte
		c byte
	}{{1, 0x12}, {1, 0x1A}, {2, 0x16}, {3, 0x32}, {4, 0x72}, {4, 0x1E}, {0, 0x12}, {9, 0xFF}} {
		f.Add(seed.k, seed.c)
	}
	f.Fuzz(func(t *testing.T, k, c byte) {
		s, err := DecodeStatus(StatusKind(k), c)
		valid := k >= 1 && k <= 4 && c&0x93 == 0x12
		if valid != (err == nil) {
			t.Fatalf("DecodeStatus(%d, %#x) err = %v, valid = %v", k, c, err, valid)
		}
		if err != nil {
			if s != (Status{}) {
				t.Fatalf("error but status %+v", s)
			}
			return
		}
		if !s.Have[k] || s.Raw[k] != c {
			t.Fatalf("Have/Raw not recorded: %+v", s)
		}
		// 0x12 reports nothing; any other valid byte sets some condition or
		// an undefined bit (n = 3 bit 2).
		if c == 0x12 && !s.Ready() {
			t.Fatalf("0x12 not ready: %+v", s)
		}
		if k == 1 && s.Offline != (c&0x08 != 0) {
			t.Fatalf("offline bit: %+v", s)
		}
		if k == 4 && s.PaperOut != (c&0x60 != 0) {
			t.Fatalf("paper bits: %+v", s)
		}
	})
}
