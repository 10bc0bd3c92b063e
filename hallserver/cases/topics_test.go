package cases

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor/hallserver/hall"
)

// topicGroups are realistic waves of requests about one matter each (written for this test).
var topicGroups = map[string][]string{
	"seats": {
		"图书馆占座太严重了，早上七点去就没有座位，桌上全是书没人",
		"图书馆三楼自习室占座现象严重，一放书就是一整天，能不能管一管",
		"期末了图书馆根本抢不到座位，很多座位放着书包却没人坐",
		"建议图书馆限制占座，离开超过半小时的座位应该清理",
		"图书馆座位被占着一上午都没人来，管理员也不处理",
		"The library seats are all taken by bags and books, nobody is sitting there",
	},
	"water": {
		"宿舍楼热水一直不热，洗澡只有冷水，已经三天了",
		"十号宿舍楼晚上洗澡没有热水，报修了还是没人来",
		"宿舍热水器坏了，洗澡水是冷的，什么时候能修好",
		"宿舍楼洗澡热水时有时无，冬天太冷了",
	},
	"wifi": {
		"校园网这两天特别卡，宿舍里根本连不上校园网",
		"宿舍校园网晚上经常断线，打游戏上网课都卡",
		"校园网连不上，认证页面一直打不开",
	},
}

// TestTopicsGroupsWaves: three waves of similar requests inside 150 diverse ones are found as
// the top topics, each whole and unmixed; the noise forms no big group.
func TestTopicsGroupsWaves(t *testing.T) {
	noise := readLabelled(t)
	start := at(2026, 3, 2, 8, 0)
	var cs []hall.Case
	want := map[string]string{} // case ID → group
	add := func(text, group string) {
		i := len(cs)
		c := hall.Case{ID: fmt.Sprint("c", i), Number: fmt.Sprintf("JS-%04d", i), Text: text, State: hall.CaseInProgress,
			Department: "library", ReceivedAt: start.Add(time.Duration(i) * 37 * time.Minute)}
		cs = append(cs, c)
		if group != "" {
			want[c.ID] = group
		}
	}
	k := 0
	for i := 0; i < 150; i++ {
		add(noise[(i*7)%len(noise)].text, "")
		if i%10 == 3 {
			for g, texts := range topicGroups {
				if k := i / 10; k < len(texts) {
					add(texts[k], g)
				}
			}
		}
		k++
	}
	end := cs[len(cs)-1].ReceivedAt.Add(time.Minute)
	top := Topics(cs, start, start, end, nil, DefaultTopicOptions())
	byNumber := map[string]string{}
	for _, c := range cs {
		byNumber[c.Number] = want[c.ID]
	}
	for g, texts := range topicGroups {
		var tp *hall.Topic
		for i := range top {
			for _, n := range top[i].Cases {
				if byNumber[n] == g && tp == nil {
					tp = &top[i]
				}
			}
		}
		if tp == nil {
			t.Fatalf("wave %s not found", g)
		}
		in, others := 0, 0
		for _, n := range tp.Cases {
			if byNumber[n] == g {
				in++
			} else if byNumber[n] != "" {
				t.Errorf("wave %s mixed with another wave: %v", g, tp.Cases)
			} else {
				others++ // background requests on the same matter (the labelled set has library-seat ones)
			}
		}
		// The English request about seats may stay apart; every Chinese one must be in.
		if in < len(texts)-1 || others > 4 {
			t.Errorf("topic %s: %d of the wave's %d, %d others: %q %v", g, in, len(texts), others, tp.Label, tp.Keywords)
		}
		t.Logf("%s: count %d (%d of the wave) score %.0f label %q keywords %v", g, tp.Count, in, tp.Score, tp.Label, tp.Keywords)
	}
	wave := func(tp hall.Topic) bool {
		for _, n := range tp.Cases {
			if byNumber[n] != "" {
				return true
			}
		}
		return false
	}
	if !wave(top[0]) || !wave(top[1]) {
		t.Errorf("the two biggest waves are not the top topics: %q, %q", top[0].Label, top[1].Label)
	}
	for _, tp := range top {
		if !wave(tp) && tp.Count > 4 {
			t.Errorf("background formed a topic of %d: %q %v", tp.Count, tp.Label, tp.Keywords)
		}
	}
	t.Logf("%d topics in %d requests", len(top), len(cs))
}

// TestTopicsGrowthAndAnswerID: the previous window counts as Previous; a group holding a case
// linked to an answered topic takes the topic's ID; IDs are stable.
func TestTopicsGrowthAndAnswerID(t *testing.T) {
	d0 := at(2026, 3, 2, 9, 0)
	mid := d0.AddDate(0, 0, 7)
	var cs []hall.Case
	for i, tx := range topicGroups["water"] {
		cs = append(cs, hall.Case{ID: fmt.Sprint("w", i), Number: fmt.Sprint("W", i), Text: tx, State: hall.CaseDispatched,
			Department: "logistics", ReceivedAt: mid.Add(time.Duration(i) * time.Hour)})
	}
	cs = append(cs, hall.Case{ID: "old", Number: "OLD", Text: "宿舍没有热水洗澡", State: hall.CaseArchived, Department: "logistics", ReceivedAt: d0})
	top := Topics(cs, d0, mid, mid.AddDate(0, 0, 7), nil, TopicOptions{})
	if len(top) != 1 || top[0].Count != 4 || top[0].Previous != 1 || top[0].Growth != 3 || top[0].Score != 7 {
		t.Fatalf("topics %+v", top)
	}
	if top[0].ID != TopicID("old") || top[0].Departments[0] != "logistics" {
		t.Fatalf("id %s depts %v", top[0].ID, top[0].Departments)
	}
	again := Topics(cs, d0, mid, mid.AddDate(0, 0, 7), map[string]string{"w2": "tanswered"}, TopicOptions{})
	if again[0].ID != "tanswered" {
		t.Fatalf("answered topic ID %s", again[0].ID)
	}
	if none := Topics(cs[:1], d0, mid, mid.AddDate(0, 0, 7), nil, TopicOptions{}); len(none) != 0 {
		t.Fatalf("one request is no topic: %+v", none)
	}
}

func TestRelated(t *testing.T) {
	var pool []hall.Case
	for g, texts := range topicGroups {
		for i, tx := range texts {
			pool = append(pool, hall.Case{ID: fmt.Sprint(g, i), Number: fmt.Sprint(g, i), Text: tx})
		}
	}
	for _, l := range readLabelled(t)[:100] {
		pool = append(pool, hall.Case{ID: l.text, Text: l.text})
	}
	target := hall.Case{ID: "x", Text: "宿舍洗澡一直没有热水"}
	rel := Related(&target, pool, 3, 0.12)
	if len(rel) != 3 {
		t.Fatalf("%d related", len(rel))
	}
	for _, r := range rel {
		if !strings.HasPrefix(r.Case.ID, "water") {
			t.Errorf("related %q (%.2f)", r.Case.Text, r.Similarity)
		}
	}
}

// BenchmarkTopics groups two weeks of 3,000 requests (the labelled set repeated with a suffix).
func BenchmarkTopics(b *testing.B) {
	noise := readLabelled(b)
	start := at(2026, 3, 2, 8, 0)
	var cs []hall.Case
	for i := 0; i < 3000; i++ {
		cs = append(cs, hall.Case{ID: fmt.Sprint("c", i), Number: fmt.Sprint("N", i), State: hall.CaseInProgress,
			Text: noise[i%len(noise)].text + fmt.Sprint(" 第", i/len(noise), "次"), ReceivedAt: start.Add(time.Duration(i) * 6 * time.Minute)})
	}
	end := cs[len(cs)-1].ReceivedAt.Add(time.Minute)
	mid := start.Add(end.Sub(start) / 2)
	b.ReportAllocs()
	for b.Loop() {
		Topics(cs, start, mid, end, nil, DefaultTopicOptions())
	}
}

// TestTopicsCacheEqualsUncached: the topics computed with the cache of final cases' terms are
// those computed without, on the first call (cache filled), on later calls (cache used), after
// cases closed or changed since the cache was filled, and after the window moved on (entries
// dropped).
func TestTopicsCacheEqualsUncached(t *testing.T) {
	noise := readLabelled(t)
	start := at(2026, 3, 2, 8, 0)
	var cs []hall.Case
	add := func(text string) {
		i := len(cs)
		st := hall.CaseArchived
		if i%3 == 0 {
			st = hall.CaseInProgress
		}
		cs = append(cs, hall.Case{ID: fmt.Sprint("c", i), Number: fmt.Sprintf("JS-%04d", i), Text: text, State: st,
			Department: "library", ReceivedAt: start.Add(time.Duration(i) * 23 * time.Minute)})
	}
	for i := 0; i < 400; i++ {
		add(noise[(i*7)%len(noise)].text)
		for _, texts := range topicGroups {
			if k := i / 40; i%40 == 5 && k < len(texts) {
				add(texts[k])
			}
		}
	}
	end := cs[len(cs)-1].ReceivedAt.Add(time.Minute)
	mid := start.Add(end.Sub(start) / 2)
	cache := NewTopicCache()
	check := func(step string, from, mid, to time.Time) {
		t.Helper()
		want := TopicsOf(Ptrs(cs), from, mid, to, nil, DefaultTopicOptions())
		got := TopicsCached(cache, Ptrs(cs), from, mid, to, nil, DefaultTopicOptions())
		if len(want) == 0 {
			t.Fatalf("%s: no topics to compare", step)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cached topics differ:\n got %+v\nwant %+v", step, got, want)
		}
	}
	check("first call", start, mid, end)
	if n := cache.Len(); n != len(cs) {
		t.Fatalf("cache holds %d of %d cases", n, len(cs))
	}
	check("second call", start, mid, end)
	// Open cases close (one with a new title), a final case is changed (as if reopened and
	// closed again with more text): the cache must not answer with the old terms.
	for i := range cs {
		switch {
		case i%3 == 0 && i%2 == 0:
			cs[i].State = hall.CaseArchived
		case i%3 == 0:
			cs[i].State, cs[i].Title = hall.CaseNotAccepted, "宿舍楼热水不热"
		case i%11 == 1:
			cs[i].Text = topicGroups["wifi"][i%3] + cs[i].Text
		}
	}
	check("after changes", start, mid, end)
	// The window moves on: the entries of cases no longer in it go, the figures stay right.
	late := start.Add(end.Sub(start) * 3 / 4)
	check("later window", late, late.Add(end.Sub(late)/2), end)
	check("later window, again", late, late.Add(end.Sub(late)/2), end)
	if n := cache.Len(); n > len(cs)/4+topicCacheSlack {
		t.Errorf("cache holds %d entries after a window of a quarter of %d cases", n, len(cs))
	}
}
