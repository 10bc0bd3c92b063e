package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"onedoor/hallserver/hall"
)

// allHalls is the -halls value that gives a counter account every hall on purpose.
const allHalls = "all"

// staffHalls turns -halls into the account's halls (nil: every hall). A counter account needs
// -halls: without it the account would work every hall's counters by accident.
func staffHalls(role hall.Role, halls string) ([]string, error) {
	if halls == "" {
		if role == hall.RoleCounter {
			return nil, errors.New(`-halls is required for a counter account: name its halls (-halls students,colleges) or give -halls all`)
		}
		return nil, nil
	}
	if halls == allHalls {
		return nil, nil
	}
	out := strings.Split(halls, ",")
	for i, h := range out {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			return nil, fmt.Errorf("-halls %q: an empty hall code", halls)
		case h == allHalls:
			return nil, fmt.Errorf("-halls %q: %q stands alone, not in a list", halls, allHalls)
		}
		out[i] = h
	}
	return out, nil
}

// Device tokens given with -token must carry at least minTokenBits bits, counted as length ×
// log2(alphabet) over the characters used, and must not be made of a few characters or a
// repeat; the token hallctl generates (32 random bytes, base64url) is what to use.
const (
	minTokenBits     = 128
	minTokenDistinct = 8
)

// checkDeviceToken applies the device token rule: only base64url characters (A-Z a-z 0-9 - _);
// length × log2(alphabet) ≥ 128 bits, where the alphabet is 10 for digits only, 16 for hex
// digits in one case, else the sum of the classes used (digits 10, lower case 26, upper case 26,
// "-" and "_" 2), so at least 22 base64url or 32 hex characters; at least 8 different
// characters; and not a repeat of a shorter string. It catches mistakes (a short, typed or
// patterned value), not a weak value made to pass: prefer the generated token.
func checkDeviceToken(tok string) error {
	const (
		digits = "0123456789"
		lower  = "abcdefghijklmnopqrstuvwxyz"
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		syms   = "-_"
	)
	onlyIn := func(set string) bool { return strings.Trim(tok, set) == "" }
	if i := strings.IndexFunc(tok, func(c rune) bool { return !strings.ContainsRune(digits+lower+upper+syms, c) }); i >= 0 {
		return fmt.Errorf("-token: use only A-Z a-z 0-9 - _ (found %q); or leave -token out to get a generated token", []rune(tok[i:])[0])
	}
	alphabet := 0
	switch {
	case onlyIn(digits):
		alphabet = 10
	case onlyIn(digits + "abcdef"), onlyIn(digits + "ABCDEF"):
		alphabet = 16
	default:
		for _, class := range []string{digits, lower, upper, syms} {
			if strings.ContainsAny(tok, class) {
				alphabet += len(class)
			}
		}
	}
	distinct := map[rune]bool{}
	for _, c := range tok {
		distinct[c] = true
	}
	bits := 0.0
	if alphabet > 1 {
		bits = float64(len(tok)) * math.Log2(float64(alphabet))
	}
	switch {
	case bits < minTokenBits:
		return fmt.Errorf("-token: %d characters from an alphabet of %d carry %.0f bits, below %d (use at least 22 base64url or 32 hex characters); or leave -token out to get a generated token",
			len(tok), alphabet, bits, minTokenBits)
	case len(distinct) < minTokenDistinct:
		return fmt.Errorf("-token: only %d different characters (want at least %d); or leave -token out to get a generated token", len(distinct), minTokenDistinct)
	}
	for p := 1; p <= len(tok)/2; p++ {
		if tok[p:] == tok[:len(tok)-p] {
			return fmt.Errorf("-token: a repeat of %q; or leave -token out to get a generated token", tok[:p])
		}
	}
	return nil
}

// backupToken returns the admin token of an online backup: "-token -" reads it from stdin's
// first line; otherwise ONEDOOR_TOKEN. A token given on the command line works but is visible
// to every user (ps, /proc/PID/cmdline) and kept in shell history, so it draws a warning.
func backupToken(flagValue string, stdin io.Reader, stderr io.Writer) (string, error) {
	var tok string
	switch flagValue {
	case "-":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("backup: read the admin token from stdin: %w", err)
		}
		tok = strings.TrimSpace(line)
	case "":
		tok = os.Getenv("ONEDOOR_TOKEN")
	default:
		fmt.Fprintln(stderr, "hallctl: warning: a -token on the command line shows in ps and shell history; set ONEDOOR_TOKEN or use -token - and write the token on stdin")
		tok = flagValue
	}
	if tok == "" {
		return "", errors.New("backup -server needs the admin token: set ONEDOOR_TOKEN, or give -token - and write it on stdin")
	}
	return tok, nil
}
