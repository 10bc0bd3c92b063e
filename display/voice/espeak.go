package voice

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"sync"
)

// Espeak speaks announcements with espeak-ng: a chime, the Mandarin sentence (tone-numbered
// pinyin read by the cmn-latn-pinyin voice, which gets the tones right where plain cmn does not),
// then the English one. Each part is a WAV written to the standard input of the player command.
type Espeak struct {
	// Binary is the espeak-ng executable (default "espeak-ng").
	Binary string
	// Player is the command that plays a WAV from its standard input, e.g. ["aplay", "-q"] or
	// ["paplay"]. Empty renders the audio without playing it (useful to test espeak alone).
	Player []string
	// MandarinVoice and EnglishVoice are espeak-ng voices (defaults cmn-latn-pinyin and en).
	MandarinVoice, EnglishVoice string
	// NoChime leaves out the chime before each call.
	NoChime bool

	chimeOnce sync.Once
	chime     []byte // rendered once, played before every call
}

// PlayerCommand splits a player command line ("aplay -q") into its words; "", "off" and "none"
// give nil (no player).
func PlayerCommand(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" || s == "none" {
		return nil
	}
	return strings.Fields(s)
}

func (e *Espeak) binary() string {
	if e.Binary == "" {
		return "espeak-ng"
	}
	return e.Binary
}

// Speak plays the chime, the Mandarin and the English announcement, in that order.
func (e *Espeak) Speak(ctx context.Context, a Announcement) error {
	var parts [][]byte
	if !e.NoChime {
		e.chimeOnce.Do(func() { e.chime = Chime() })
		parts = append(parts, e.chime)
	}
	zhVoice, enVoice := e.MandarinVoice, e.EnglishVoice
	if zhVoice == "" {
		zhVoice = "cmn-latn-pinyin"
	}
	if enVoice == "" {
		enVoice = "en"
	}
	zh, err := e.Render(ctx, zhVoice, MandarinPinyin(a))
	if err != nil {
		return err
	}
	en, err := e.Render(ctx, enVoice, EnglishSpeech(a))
	if err != nil {
		return err
	}
	parts = append(parts, zh, en)
	for _, p := range parts {
		if err := e.play(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Render returns text spoken by espeak-ng with the voice, as a WAV file with correct sizes.
func (e *Espeak) Render(ctx context.Context, voice, text string) ([]byte, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.binary(), "-v", voice, "-s", "150", "--stdout", text)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, strings.TrimSpace(stderr.String()))
	}
	b, err := FixWAVSizes(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w", voice, err)
	}
	return b, nil
}

// play writes the WAV to the player's standard input and waits for it to finish.
func (e *Espeak) play(ctx context.Context, wav []byte) error {
	if len(e.Player) == 0 {
		return nil
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.Player[0], e.Player[1:]...)
	cmd.Stdin = bytes.NewReader(wav)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("player %s: %w: %s", strings.Join(e.Player, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// FixWAVSizes sets the RIFF and data chunk sizes of a WAV written to a pipe (espeak-ng --stdout
// leaves them unknown) to the real ones, so that every player and sox read it.
func FixWAVSizes(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	for i := 12; i+8 <= len(out); {
		id := string(out[i : i+4])
		if id == "data" {
			binary.LittleEndian.PutUint32(out[i+4:i+8], uint32(len(out)-i-8))
			return out, nil
		}
		n := int(binary.LittleEndian.Uint32(out[i+4 : i+8]))
		i += 8 + n + n%2
	}
	return nil, errors.New("WAV without a data chunk")
}

// chimeRate is the sample rate of the chime (espeak-ng speaks at 22050 Hz too).
const chimeRate = 22050

// Chime returns a two-tone "ding-dong" (E5 then C5, soft attack, fading) as a 16-bit mono WAV.
func Chime() []byte {
	var samples []int16
	for _, tone := range []struct {
		hz  float64
		sec float64
	}{{659.25, 0.45}, {523.25, 0.7}} {
		n := int(tone.sec * chimeRate)
		for i := 0; i < n; i++ {
			t := float64(i) / chimeRate
			env := math.Min(1, t/0.01) * math.Exp(-3.5*t)
			v := 0.45 * env * (math.Sin(2*math.Pi*tone.hz*t) + 0.3*math.Sin(4*math.Pi*tone.hz*t))
			samples = append(samples, int16(v*math.MaxInt16*0.8))
		}
	}
	return encodeWAV(samples, chimeRate)
}

// encodeWAV writes 16-bit mono PCM samples as a WAV file.
func encodeWAV(samples []int16, rate int) []byte {
	var b bytes.Buffer
	data := len(samples) * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, samples)
	return b.Bytes()
}
