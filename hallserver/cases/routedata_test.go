package cases

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// Minimum lines per department in the routing corpus (routedata/README.md).
const (
	minRouteTrain   = 120
	minRouteHeldout = 40
)

// readRouteData reads one file of the routing corpus: "department<TAB>text" per line. It fails the
// test on a malformed line (no tab, a second tab, empty department or text).
func readRouteData(t *testing.T, name string) []labelled {
	t.Helper()
	f, err := os.Open("routedata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		d, text, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(text, "\t") {
			t.Fatalf("%s:%d: want exactly one tab: %q", name, n, line)
		}
		if d == "" || strings.TrimSpace(text) == "" || strings.TrimSpace(text) != text {
			t.Fatalf("%s:%d: empty department or text, or stray spaces: %q", name, n, line)
		}
		out = append(out, labelled{d, text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRouteDataWellFormed guards the routing corpus: every department is one the catalogue knows and
// every catalogue department has enough lines in both parts, no text appears twice, and the held-out
// part shares no text with the training part, nor with the catalogue's examples; the training part
// shares none with the project's own held-out set (testdata/labelled.tsv), so that figure stays honest.
func TestRouteDataWellFormed(t *testing.T) {
	cat := DemoCatalogue()
	depts := map[string]bool{}
	var examples []string
	for _, c := range cat.Categories {
		depts[c.Department] = true
		examples = append(examples, c.Examples...)
	}
	train := readRouteData(t, "train.tsv")
	heldout := readRouteData(t, "heldout.tsv")

	seen := map[string]string{} // normalised text → file
	check := func(name string, set []labelled, minimum int) {
		count := map[string]int{}
		for _, l := range set {
			if !depts[l.dept] {
				t.Errorf("%s: unknown department %q for %q", name, l.dept, l.text)
			}
			count[l.dept]++
			k := norm(l.text)
			if prev, dup := seen[k]; dup {
				t.Errorf("%s: %q already in %s", name, l.text, prev)
			}
			seen[k] = name
		}
		for d := range depts {
			if count[d] < minimum {
				t.Errorf("%s: department %s has %d lines, want at least %d", name, d, count[d], minimum)
			}
		}
	}
	check("train.tsv", train, minRouteTrain)
	check("heldout.tsv", heldout, minRouteHeldout)

	for _, x := range examples {
		if seen[norm(x)] == "heldout.tsv" {
			t.Errorf("heldout.tsv repeats a catalogue example: %q", x)
		}
	}
	labelledSet := readLabelled(t)
	for _, l := range labelledSet {
		if seen[norm(l.text)] == "train.tsv" {
			t.Errorf("train.tsv repeats a line of testdata/labelled.tsv: %q", l.text)
		}
	}

	// Near duplicates (paraphrases sharing most character trigrams) leak as surely as copies.
	var trainTexts, labelledTexts, heldoutTexts []string
	for _, l := range train {
		trainTexts = append(trainTexts, l.text)
	}
	for _, l := range labelledSet {
		labelledTexts = append(labelledTexts, l.text)
	}
	for _, l := range heldout {
		heldoutTexts = append(heldoutTexts, l.text)
	}
	for _, p := range nearDuplicates(heldoutTexts, append(trainTexts, examples...), routeNearDup) {
		t.Errorf("heldout.tsv line paraphrases a training text: %q ~ %q", p[0], p[1])
	}
	for _, p := range nearDuplicates(trainTexts, labelledTexts, routeNearDup) {
		t.Errorf("train.tsv line paraphrases testdata/labelled.tsv: %q ~ %q", p[0], p[1])
	}
}

// routeNearDup is the trigram Jaccard similarity from which two corpus texts count as one.
const routeNearDup = 0.6

// nearDuplicates returns the pairs (a, b), a from as and b from bs, whose character-trigram Jaccard
// similarity is at least min (the measure of jaccard in router_test.go).
func nearDuplicates(as, bs []string, min float64) [][2]string {
	grams := func(s string) map[string]bool {
		r := []rune(norm(s))
		m := map[string]bool{}
		for i := 0; i+3 <= len(r); i++ {
			m[string(r[i:i+3])] = true
		}
		return m
	}
	// An inverted index from trigram to the texts of bs holding it keeps this linear-ish.
	bg := make([]map[string]bool, len(bs))
	index := map[string][]int{}
	for j, b := range bs {
		bg[j] = grams(b)
		for g := range bg[j] {
			index[g] = append(index[g], j)
		}
	}
	var out [][2]string
	for _, a := range as {
		ag := grams(a)
		shared := map[int]int{}
		for g := range ag {
			for _, j := range index[g] {
				shared[j]++
			}
		}
		for j, n := range shared {
			if union := len(ag) + len(bg[j]) - n; union > 0 && float64(n)/float64(union) >= min {
				out = append(out, [2]string{a, bs[j]})
			}
		}
	}
	return out
}
