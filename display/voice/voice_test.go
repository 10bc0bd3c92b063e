package voice

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/internal/testtool"
)

// fakeSpeaker records what it speaks and fails the test when two announcements overlap.
type fakeSpeaker struct {
	t     *testing.T
	delay time.Duration

	mu     sync.Mutex
	active int
	spoken []Announcement
	done   chan struct{} // receives after each announcement
}

func newFake(t *testing.T, delay time.Duration) *fakeSpeaker {
	return &fakeSpeaker{t: t, delay: delay, done: make(chan struct{}, 100)}
}

func (f *fakeSpeaker) Speak(ctx context.Context, a Announcement) error {
	f.mu.Lock()
	f.active++
	if f.active > 1 {
		f.t.Errorf("announcement %s started while another was being read", a.Number)
	}
	f.mu.Unlock()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
	}
	f.mu.Lock()
	f.active--
	f.spoken = append(f.spoken, a)
	f.mu.Unlock()
	f.done <- struct{}{}
	return nil
}

func (f *fakeSpeaker) wait(t *testing.T, n int) []Announcement {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d announcements read", i, n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Announcement(nil), f.spoken...)
}

func numbers(as []Announcement) string {
	var s []string
	for _, a := range as {
		x := a.Number + "@" + strconv.Itoa(a.Counter)
		if a.Recall {
			x += "(recall)"
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

func TestQueueReadsABurstInOrderWithoutOverlap(t *testing.T) {
	f := newFake(t, 20*time.Millisecond)
	q := NewQueue(f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	for i := 1; i <= 8; i++ {
		q.Add(Announcement{Key: fmt.Sprint("k", i), Number: fmt.Sprintf("A%03d", i), Counter: i%3 + 1})
	}
	got := numbers(f.wait(t, 8))
	want := "A001@2 A002@3 A003@1 A004@2 A005@3 A006@1 A007@2 A008@3"
	if got != want {
		t.Fatalf("read %s, want %s", got, want)
	}
}

func TestQueueReadsEachKeyOnceAndRecallsAgain(t *testing.T) {
	f := newFake(t, time.Millisecond)
	q := NewQueue(f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	call := Announcement{Key: "A012|3|1", Number: "A012", Counter: 3}
	recall := Announcement{Key: "A012|3|2", Number: "A012", Counter: 3, Recall: true}
	if !q.Add(call) {
		t.Fatal("first add refused")
	}
	if q.Add(call) { // the same event replayed after a reconnect
		t.Fatal("a replayed call was queued again")
	}
	if !q.Add(recall) {
		t.Fatal("a recall was refused")
	}
	q.Add(recall)
	got := numbers(f.wait(t, 2))
	select {
	case <-f.done:
		t.Fatalf("more than two announcements: %s", numbers(f.spoken))
	case <-time.After(100 * time.Millisecond):
	}
	if got != "A012@3 A012@3(recall)" {
		t.Fatalf("read %s", got)
	}
}

func TestQueueForgetsOldKeysAndBoundsPending(t *testing.T) {
	q := NewQueue(newFake(t, 0), &QueueOptions{Remember: 2, MaxPending: 3})
	for i := 0; i < 5; i++ {
		q.Add(Announcement{Key: fmt.Sprint(i), Number: fmt.Sprint(i)})
	}
	if q.Pending() != 3 {
		t.Fatalf("pending %d, want 3", q.Pending())
	}
	if !q.Add(Announcement{Key: "0"}) {
		t.Fatal("key 0 should have been forgotten (Remember 2)")
	}
	if q.Add(Announcement{Key: "4"}) {
		t.Fatal("key 4 is remembered")
	}
}

func TestTexts(t *testing.T) {
	a := Announcement{Number: "A012", Counter: 3}
	for _, c := range []struct{ got, want string }{
		{ChineseText(a), "请 A012 号到 3 号窗口"},
		{EnglishText(a), "Number A012, please go to counter 3"},
		{MandarinPinyin(a), "qing3 ei1 ling2 yi1 er4 hao4, dao4 san1 hao4 chuang1 kou3."},
		{EnglishSpeech(a), "Number A, zero, one, two, please go to counter 3."},
		{MandarinPinyin(Announcement{Number: "F100", Counter: 12, Recall: true}), "zai4 ci4 hu1 jiao4. qing3 ai2 fu1 yi1 ling2 ling2 hao4, dao4 shi2 er4 hao4 chuang1 kou3."},
		{numberPinyin(20), "er4 shi2"}, {numberPinyin(105), "yi1 bai3 ling2 wu3"}, {numberPinyin(111), "yi1 bai3 yi1 shi2 yi1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if PlayerCommand("off") != nil || strings.Join(PlayerCommand(" aplay  -q "), ",") != "aplay,-q" {
		t.Error("PlayerCommand")
	}
}

// TestEspeakRendersAWAV renders one Mandarin announcement with espeak-ng and checks with sox
// that it is a non-empty WAV; then Speak pipes chime and speech to a player command (cat into a
// file here) in order.
func TestEspeakRendersAWAV(t *testing.T) {
	testtool.Path(t, "espeak-ng")
	soxi := testtool.Path(t, "soxi")
	ctx := context.Background()
	e := &Espeak{}
	wav, err := e.Render(ctx, "cmn-latn-pinyin", MandarinPinyin(Announcement{Number: "A012", Counter: 3}))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a012.wav")
	if err := os.WriteFile(p, wav, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(soxi, "-D", p).Output()
	if err != nil {
		t.Fatalf("soxi: %v", err)
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || sec < 1 || sec > 10 {
		t.Fatalf("Mandarin announcement lasts %q s, want 1–10 s", out)
	}
	chime := filepath.Join(t.TempDir(), "chime.wav")
	os.WriteFile(chime, Chime(), 0o644)
	if out, err := exec.Command(soxi, "-D", chime).Output(); err != nil || strings.TrimSpace(string(out)) == "0.000000" {
		t.Fatalf("chime: %v %s", err, out)
	}
	// A player that appends what it gets: chime, Mandarin, English, three WAVs in a row.
	played := filepath.Join(t.TempDir(), "played")
	e.Player = []string{"sh", "-c", "cat >> " + played}
	if err := e.Speak(ctx, Announcement{Number: "A012", Counter: 3}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(played)
	if n := strings.Count(string(b), "RIFF"); n != 3 {
		t.Fatalf("player got %d WAVs, want 3 (chime, Mandarin, English)", n)
	}
	if !strings.HasPrefix(string(b), string(Chime()[:64])) {
		t.Fatal("the chime does not come first")
	}
}
