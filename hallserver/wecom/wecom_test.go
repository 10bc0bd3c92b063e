package wecom_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor/hallserver/wecom"
	"onedoor/hallserver/wecom/wecomfake"
)

// clock is a settable clock shared by the client and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newPair(t *testing.T, fc wecomfake.Config, clk *clock) (*wecomfake.Server, *wecom.Client) {
	t.Helper()
	if clk != nil {
		fc.Now = clk.Now
	}
	f := wecomfake.New(fc)
	t.Cleanup(f.Close)
	cfg := f.Config()
	wc := wecom.Config{API: f.URL, CorpID: cfg.CorpID, Secret: cfg.Secret, AgentID: cfg.AgentID}
	if clk != nil {
		wc.Now = clk.Now
	}
	c, err := wecom.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

var card = wecom.Card{Title: "新案件 JS20261204-0001", Description: "图书馆有人占座", URL: "http://hall.example/cases?id=x", Button: "处理"}

// TestTokenCachedUntilExpiry: one gettoken serves many messages until the token's life is spent;
// then a new one is fetched before the call (no failed call).
func TestTokenCachedUntilExpiry(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	f, c := newPair(t, wecomfake.Config{}, clk)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		c2 := card
		c2.Title = fmt.Sprintf("案件 %d", i)
		if _, err := c.SendCard(ctx, []string{"h-library"}, c2); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens for 5 messages, want 1", n)
	}
	clk.Add(7200*time.Second - 30*time.Second) // within the last minute of its life
	if _, err := c.SendCard(ctx, []string{"h-library"}, card); err != nil {
		t.Fatal(err)
	}
	if n, e := f.TokensIssued(), f.Answered(wecom.ErrTokenExpired); n != 2 || e != 0 {
		t.Fatalf("after expiry: %d tokens, %d answers 42001; want 2 and 0", n, e)
	}
	if got := len(f.Messages()); got != 6 {
		t.Fatalf("%d messages delivered, want 6", got)
	}
}

// TestTokenRefreshedAndRetriedOnce: a token the server expired (42001) or forgot (40014) early is
// replaced and the message sent by the one retry.
func TestTokenRefreshedAndRetriedOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(*wecomfake.Server)
		code   int
	}{{"expired", (*wecomfake.Server).Expire, 42001}, {"invalid", (*wecomfake.Server).Forget, 40014}} {
		t.Run(tc.name, func(t *testing.T) {
			f, c := newPair(t, wecomfake.Config{}, nil)
			ctx := context.Background()
			if _, err := c.SendCard(ctx, []string{"a"}, card); err != nil {
				t.Fatal(err)
			}
			tc.break_(f)
			c2 := card
			c2.Title = "second"
			if _, err := c.SendCard(ctx, []string{"a", "b"}, c2); err != nil {
				t.Fatal(err)
			}
			if n, e := f.TokensIssued(), f.Answered(tc.code); n != 2 || e != 1 {
				t.Fatalf("%d tokens, %d answers %d; want 2 and 1", n, e, tc.code)
			}
			msgs := f.Messages()
			if len(msgs) != 3 || msgs[1].User != "a" || msgs[2].User != "b" || msgs[2].Title != "second" {
				t.Fatalf("messages %+v", msgs)
			}
		})
	}
}

// TestSendCardBody: the request carries touser "a|b", msgtype textcard, the agentid, the card,
// and the duplicate check, so a resend of the same body is not delivered twice.
func TestSendCardBody(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{Users: []string{"alice", "bob"}}, nil)
	ctx := context.Background()
	res, err := c.SendCard(ctx, []string{"alice", "bob", "mallory"}, card)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InvalidUsers) != 1 || res.InvalidUsers[0] != "mallory" {
		t.Fatalf("invalid users %v", res.InvalidUsers)
	}
	if _, err := c.SendCard(ctx, []string{"alice", "bob", "mallory"}, card); err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages after a resend, want 2 (one each): %+v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if m.MsgType != "textcard" || m.AgentID != f.Config().AgentID || m.Title != card.Title || m.URL != card.URL || m.Button != "处理" {
			t.Fatalf("message %+v", m)
		}
	}
	if _, err := c.SendCard(ctx, []string{"mallory"}, card); wecom.Code(err) != wecom.ErrNoValidReceiver {
		t.Fatalf("to nobody valid: %v", err)
	}
	f.DenyIP(true)
	if _, err := c.SendCard(ctx, []string{"alice"}, wecom.Card{Title: "x", Description: "y", URL: "z"}); wecom.Code(err) != wecom.ErrIPNotAllowed {
		t.Fatalf("untrusted IP: %v", err)
	}
	body := wecom.CardBody([]string{"a"}, 1, wecom.Card{Title: strings.Repeat("长", 100), Description: strings.Repeat("字", 400)})
	if len(body.TextCard.Title) > 128 || len(body.TextCard.Description) > 512 || body.TextCard.BtnTxt != "详情" {
		t.Fatalf("limits not applied: %d %d %q", len(body.TextCard.Title), len(body.TextCard.Description), body.TextCard.BtnTxt)
	}
}

// TestOutageIsAnError: a server that closes the connection gives an error that names the call
// but never the secret.
func TestOutageIsAnError(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{Secret: "very-secret-value"}, nil)
	f.Down(true)
	_, err := c.SendCard(context.Background(), []string{"a"}, card)
	if err == nil || strings.Contains(err.Error(), "very-secret-value") || !strings.Contains(err.Error(), "gettoken") {
		t.Fatalf("err %v", err)
	}
}

// TestRobotPacedAndMerged: 30 messages to one robot that takes 2 per window are all posted, each
// exactly once, merged into fewer messages, and no 45009 is provoked.
func TestRobotPacedAndMerged(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{RobotLimit: 2, RobotWindow: 100 * time.Millisecond}, nil)
	r := wecom.NewRobots(c, wecom.RobotConfig{PerWindow: 2, Window: 100 * time.Millisecond, Backoff: 100 * time.Millisecond})
	defer r.Close()
	sendAll(t, r, "dept-key", 30, 0)
	got := f.RobotMessages()
	checkOnce(t, got, 30)
	if f.Answered(wecom.ErrRateLimited) != 0 {
		t.Fatalf("%d answers 45009 with pacing", f.Answered(wecom.ErrRateLimited))
	}
	if len(got) >= 30 {
		t.Fatalf("%d robot posts for 30 messages: not merged", len(got))
	}
}

// TestRobotPacingSurvivesAnEmptyQueue: two posts fill the robot's window and the queue runs dry;
// a third message right after must still wait for the window, not go at once into a 45009 (the
// pacing was forgotten with the empty queue: a CI run on a loaded machine saw the 45009).
func TestRobotPacingSurvivesAnEmptyQueue(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{RobotLimit: 2, RobotWindow: 300 * time.Millisecond}, nil)
	r := wecom.NewRobots(c, wecom.RobotConfig{PerWindow: 2, Window: 300 * time.Millisecond, Backoff: 50 * time.Millisecond})
	defer r.Close()
	ctx := context.Background()
	for i := range 2 {
		if err := r.Send(ctx, "k", fmt.Sprintf("JS-%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // the queue's sender has seen it empty and stopped
	start := time.Now()
	if err := r.Send(ctx, "k", "JS-0002"); err != nil {
		t.Fatal(err)
	}
	if n := f.Answered(wecom.ErrRateLimited); n != 0 {
		t.Errorf("%d answers 45009: the third post went before the window had passed", n)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("the third post went after %v, want the rest of the 300 ms window", waited)
	}
	checkOnce(t, f.RobotMessages(), 3)
}

// TestRobot45009BacksOffAndMerges: a robot already throttled by someone else (the fake takes 3 per
// window while the sender thinks 20) answers 45009; the sender backs off, merges, and delivers
// every message exactly once.
func TestRobot45009BacksOffAndMerges(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{RobotLimit: 3, RobotWindow: 200 * time.Millisecond}, nil)
	r := wecom.NewRobots(c, wecom.RobotConfig{PerWindow: 20, Window: 200 * time.Millisecond, Backoff: 100 * time.Millisecond})
	defer r.Close()
	sendAll(t, r, "busy-key", 40, 1500) // two fit in one post
	if f.Answered(wecom.ErrRateLimited) == 0 {
		t.Fatal("the fake never answered 45009: the test did not test the backoff")
	}
	checkOnce(t, f.RobotMessages(), 40)
}

func sendAll(t *testing.T, r *wecom.Robots, key string, n, pad int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.Send(ctx, key, fmt.Sprintf("**新案件** JS-%04d %s", i, strings.Repeat("x", pad)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func checkOnce(t *testing.T, got []wecomfake.RobotMessage, n int) {
	t.Helper()
	all := ""
	for _, m := range got {
		if m.MsgType != "markdown" {
			t.Fatalf("msgtype %q", m.MsgType)
		}
		all += m.Content + "\n"
	}
	for i := 0; i < n; i++ {
		if c := strings.Count(all, fmt.Sprintf("JS-%04d", i)); c != 1 {
			t.Fatalf("JS-%04d posted %d times", i, c)
		}
	}
}

// TestRobotCallerLeavesDuringBackoff: a caller whose context ends while its robot backs off from
// 45009 gets its error back (the message is not sent later behind its back), and Close returns.
func TestRobotCallerLeavesDuringBackoff(t *testing.T) {
	f, c := newPair(t, wecomfake.Config{RobotLimit: 1, RobotWindow: time.Hour}, nil)
	r := wecom.NewRobots(c, wecom.RobotConfig{Backoff: time.Hour})
	if err := r.Send(context.Background(), "k", "first"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := r.Send(ctx, "k", "second"); err == nil {
		t.Fatal("sent past the robot's limit")
	}
	r.Close()
	if got := f.RobotMessages(); len(got) != 1 || got[0].Content != "first" {
		t.Fatalf("robot posts %+v", got)
	}
}
