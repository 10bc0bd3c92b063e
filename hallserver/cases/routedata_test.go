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
	for _, l := range readLabelled(t) {
		if seen[norm(l.text)] == "train.tsv" {
			t.Errorf("train.tsv repeats a line of testdata/labelled.tsv: %q", l.text)
		}
	}
}
