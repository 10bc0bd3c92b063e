package escpos

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	tests := []struct {
		name          string
		dots, cols    int
		nativeQR      bool
		chineseAtBoot bool
	}{
		{"58mm", 384, 32, true, true},
		{"80mm", 576, 48, true, true},
		{"58mm-raster", 384, 32, false, true},
		{"80mm-raster", 576, 48, false, true},
		{"80mm-gb18030", 576, 48, true, true},
		{"xprinter-58", 384, 32, true, true},
		{"epson-tm-t88", 512, 42, true, false},
	}
	for _, tt := range tests {
		p, err := LookupProfile(" " + strings.ToUpper(tt.name) + " ")
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != tt.name || p.DotsPerLine != tt.dots || p.Columns != tt.cols || p.NativeQR != tt.nativeQR || p.ChineseAtPowerUp != tt.chineseAtBoot {
			t.Errorf("%s: %+v", tt.name, p)
		}
		// Font A is 12 dots: the columns fill the line (TM-T88: 42 × 12 = 504 of 512).
		if p.Columns != p.DotsPerLine/fontWidthDots {
			t.Errorf("%s: %d columns × 12 ≠ %d dots", p.Name, p.Columns, p.DotsPerLine)
		}
		if p.Pacing.Capacity <= 0 || p.Pacing.Capacity+bufferReserve != p.BufferBytes || p.Pacing.DrainBytesPerSec <= 0 {
			t.Errorf("%s: pacing %+v", p.Name, p.Pacing)
		}
	}
	if got := len(ProfileNames()); got != len(tests) {
		t.Errorf("%d profiles, tested %d", got, len(tests))
	}
	_, err := LookupProfile("58")
	if !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "58mm-raster") {
		t.Errorf("unknown profile error: %v", err)
	}
	// The documented arithmetic: 58 mm at 50 mm/s, 1/6 inch lines, 32 bytes
	// per line → 50 / 4.2333 × 32 = 377 bytes/s.
	p, _ := LookupProfile("58mm")
	if p.Pacing.DrainBytesPerSec != 377 {
		t.Errorf("58mm drain = %d B/s, want 377", p.Pacing.DrainBytesPerSec)
	}
}

func TestLineTime(t *testing.T) {
	if got := LineTime(960, 9600); got != time.Second {
		t.Errorf("960 bytes at 9600 = %v", got)
	}
	if got := LineTime(1024, 115200); got != 88888888*time.Nanosecond {
		t.Errorf("1024 bytes at 115200 = %v", got)
	}
}

// simulate sends total bytes through a Pacer at baud, with a printer that
// drains exactly at the assumed rate, and returns the largest buffer fill
// seen and the time taken.
func simulate(t *testing.T, p Profile, baud, total int) (peak float64, elapsed time.Duration) {
	t.Helper()
	pc := NewPacer(p.Pacing)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	var level float64 // real bytes in the printer buffer
	drain := float64(p.Pacing.DrainBytesPerSec)
	for sent := 0; sent < total; {
		n := min(pc.ChunkBytes(), total-sent)
		wait := pc.Reserve(n, now)
		// Printer drains while we wait and while the chunk is on the wire;
		// bytes arrive over the line time. Count arrival before draining:
		// the pessimistic order.
		dt := wait + LineTime(n, baud)
		level = max(0, level-drain*wait.Seconds())
		level += float64(n)
		peak = max(peak, level)
		level = max(0, level-drain*LineTime(n, baud).Seconds())
		now = now.Add(dt)
		sent += n
	}
	return peak, now.Sub(start)
}

func TestPacerNeverOverflows(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name)
		for _, baud := range []int{9600, 19200, 115200} {
			peak, _ := simulate(t, p, baud, 64*1024)
			if peak > float64(p.Pacing.Capacity)+1e-6 {
				t.Errorf("%s at %d: buffer peaked at %.0f > capacity %d", name, baud, peak, p.Pacing.Capacity)
			}
		}
	}
}

func TestPacerBurstThenRate(t *testing.T) {
	p, _ := LookupProfile("58mm")
	pc := NewPacer(p.Pacing)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// A 1 KB ticket fits the 3 KB allowance: no delay at all.
	for range 4 {
		if w := pc.Reserve(256, now); w != 0 {
			t.Fatalf("delay %v within the burst allowance", w)
		}
	}
	// Fill the rest of the allowance (3072 − 1024 = 2048 = 8 chunks).
	for range 8 {
		if w := pc.Reserve(256, now); w != 0 {
			t.Fatalf("delay %v within the allowance", w)
		}
	}
	// Now full: the next chunk waits 256 / 377 s ≈ 679 ms.
	w := pc.Reserve(256, now)
	want := 256 * time.Second / 377
	if d := w - want; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("wait %v, want %v", w, want)
	}
	// After the printer had 10 s to drain, the bucket is empty again.
	if w := pc.Reserve(256, now.Add(10*time.Second)); w != 0 {
		t.Errorf("after idle: wait %v", w)
	}
	// No drain rate configured: never waits.
	if w := NewPacer(Pacing{}).Reserve(1<<20, now); w != 0 {
		t.Errorf("zero rule waits %v", w)
	}
}

func TestPacerLongRunRate(t *testing.T) {
	p, _ := LookupProfile("58mm")
	// 64 KB at 115200 baud: after the 3 KB burst the rate is the drain rate.
	_, elapsed := simulate(t, p, 115200, 64*1024)
	want := time.Duration(float64(64*1024-p.Pacing.Capacity) / float64(p.Pacing.DrainBytesPerSec) * float64(time.Second))
	if elapsed < want || elapsed > want+2*time.Second {
		t.Errorf("64 KB took %v, want about %v", elapsed, want)
	}
}
