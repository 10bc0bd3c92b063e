// Package voice announces hall calls: a queue that reads each call once, in order and never two at
// a time, and a speaker that renders an announcement with espeak-ng (Mandarin through the
// cmn-latn-pinyin voice, then English) preceded by a chime, played by a configurable command.
package voice

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Announcement is one call to read out.
type Announcement struct {
	// Key identifies the call (number, counter and call time): a key already announced is skipped,
	// so a replayed event is never read twice. A recall has a key of its own.
	Key     string
	Number  string // e.g. A012
	Counter int
	Recall  bool
}

// Speaker reads one announcement aloud and returns when it has finished.
type Speaker interface {
	Speak(ctx context.Context, a Announcement) error
}

// ChineseText is the announcement as shown on screen, e.g. "请 A012 号到 3 号窗口".
func ChineseText(a Announcement) string {
	s := fmt.Sprintf("请 %s 号到 %d 号窗口", a.Number, a.Counter)
	if a.Recall {
		s = "再次呼叫：" + s
	}
	return s
}

// EnglishText is the English announcement, e.g. "Number A012, please go to counter 3".
func EnglishText(a Announcement) string {
	s := fmt.Sprintf("Number %s, please go to counter %d", a.Number, a.Counter)
	if a.Recall {
		s = "Calling again: " + s
	}
	return s
}

// letterPinyin is how a Chinese announcer reads the Latin letters of ticket prefixes, in the
// tone-numbered pinyin the espeak-ng cmn-latn-pinyin voice reads correctly (left alone, it reads
// E as "yi" and F as "aif").
var letterPinyin = map[rune]string{
	'A': "ei1", 'B': "bi4", 'C': "sei4", 'D': "di4", 'E': "yi4", 'F': "ai2 fu1", 'G': "ji4",
	'H': "ai1 qi1", 'I': "ai4", 'J': "jie4", 'K': "kai4", 'L': "ai2 le5", 'M': "ai2 mu5",
	'N': "en1", 'O': "ou1", 'P': "pi4", 'Q': "kiu1", 'R': "a4", 'S': "ai2 si1", 'T': "ti4",
	'U': "you1", 'V': "wei1", 'W': "da2 bu5 liu5", 'X': "ai2 ke4 si1", 'Y': "wai4", 'Z': "zei4",
}

// digitPinyin reads digits one by one, as queue numbers are read (A012: A 零 一 二).
var digitPinyin = [10]string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}

// numberPinyin reads n as a Chinese number (counters: 3 → san1, 12 → shi2 er4, 20 → er4 shi2).
func numberPinyin(n int) string {
	switch {
	case n < 0:
		return strconv.Itoa(n)
	case n < 10:
		return digitPinyin[n]
	case n < 20:
		s := "shi2"
		if n%10 != 0 {
			s += " " + digitPinyin[n%10]
		}
		return s
	case n < 100:
		s := digitPinyin[n/10] + " shi2"
		if n%10 != 0 {
			s += " " + digitPinyin[n%10]
		}
		return s
	case n < 1000:
		s := digitPinyin[n/100] + " bai3"
		switch r := n % 100; {
		case r == 0:
		case r < 10:
			s += " ling2 " + digitPinyin[r]
		case r < 20:
			s += " yi1 " + numberPinyin(r)
		default:
			s += " " + numberPinyin(r)
		}
		return s
	}
	return spellPinyin(strconv.Itoa(n))
}

// spellPinyin reads a ticket number character by character.
func spellPinyin(number string) string {
	var parts []string
	for _, r := range strings.ToUpper(number) {
		switch {
		case r >= '0' && r <= '9':
			parts = append(parts, digitPinyin[r-'0'])
		case letterPinyin[r] != "":
			parts = append(parts, letterPinyin[r])
		}
	}
	return strings.Join(parts, " ")
}

// MandarinPinyin is the Mandarin announcement as tone-numbered pinyin for espeak-ng's
// cmn-latn-pinyin voice: 请 A 零 一 二 号 到 三 号 窗口 (recall: 再次呼叫 first).
func MandarinPinyin(a Announcement) string {
	s := "qing3 " + spellPinyin(a.Number) + " hao4, dao4 " + numberPinyin(a.Counter) + " hao4 chuang1 kou3."
	if a.Recall {
		s = "zai4 ci4 hu1 jiao4. " + s
	}
	return s
}

// englishDigits are the digit names read one by one in English.
var englishDigits = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// EnglishSpeech is the English announcement written for a speech engine: the number spelled out
// character by character ("Number A, zero, one, two, please go to counter 3.").
func EnglishSpeech(a Announcement) string {
	var parts []string
	for _, r := range strings.ToUpper(a.Number) {
		switch {
		case r >= '0' && r <= '9':
			parts = append(parts, englishDigits[r-'0'])
		default:
			parts = append(parts, string(r))
		}
	}
	s := "Number " + strings.Join(parts, ", ") + ", please go to counter " + strconv.Itoa(a.Counter) + "."
	if a.Recall {
		s = "Calling again. " + s
	}
	return s
}
