package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var shanghai = time.FixedZone("CST", 8*3600)

func sample() Table {
	at := time.Date(2026, 12, 3, 16, 30, 5, 0, time.UTC) // 00:30:05 the next day in Shanghai
	rows := [][]Cell{
		{Text("JS20261204-0001"), Text("宿舍热水不热"), Int(3), Number(0.75), Time(at)},
		{Text("=HYPERLINK(\"http://x\")"), Text("+86 138"), Text("-1"), Text("@SUM(A1)"), Empty()},
		{Text("逗号, \"引号\"\n换行"), Text(""), Number(-2.5)}, // short row: padded
	}
	return Table{Sheet: "案件 Cases", Header: []string{"编号", "标题", "次数", "比率", "受理时间"}, Rows: slices.Values(rows), Loc: shanghai}
}

// The rows a spreadsheet shows for the sample, as text.
var want = [][]string{
	{"编号", "标题", "次数", "比率", "受理时间"},
	{"JS20261204-0001", "宿舍热水不热", "3", "0.75", "2026-12-04 00:30:05"},
	{"'=HYPERLINK(\"http://x\")", "'+86 138", "'-1", "'@SUM(A1)", ""},
	{"逗号, \"引号\"\n换行", "", "-2.5", "", ""},
}

func TestCSVStartsWithBOMAndParsesToTheRows(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, CSV, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("CSV does not start with the UTF-8 BOM: % x", b.Bytes()[:4])
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("CSV rows:\n got %q\nwant %q", got, want)
	}
}

func TestXLSXOpensWithTheRowsAndTypes(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, XLSX, sample()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"案件 Cases"}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := f.GetRows("案件 Cases")
	if err != nil {
		t.Fatal(err)
	}
	w := slices.Clone(want)
	w[1] = slices.Clone(want[1])
	w[1][4] = "2026-12-04 00:30:05" // the date format of the cell shows the campus wall clock
	for i := range rows {
		for len(rows[i]) < 5 {
			rows[i] = append(rows[i], "")
		}
	}
	if !slices.EqualFunc(rows, w, slices.Equal) {
		t.Errorf("XLSX rows:\n got %q\nwant %q", rows, w)
	}
	// numbers are numbers (Excel sums them), text is text
	for cell, typ := range map[string]excelize.CellType{"C2": excelize.CellTypeNumber, "D2": excelize.CellTypeNumber, "E2": excelize.CellTypeNumber, "A3": excelize.CellTypeInlineString} {
		got, err := f.GetCellType("案件 Cases", cell)
		if err != nil {
			t.Fatal(err)
		}
		if got != typ && !(typ == excelize.CellTypeNumber && got == excelize.CellTypeUnset) {
			t.Errorf("cell %s has type %v, want %v", cell, got, typ)
		}
	}
	if fm, _ := f.GetCellFormula("案件 Cases", "A3"); fm != "" {
		t.Errorf("A3 became the formula %q", fm)
	}
}

func TestLongRowIsAnError(t *testing.T) {
	tb := Table{Header: []string{"a"}, Rows: slices.Values([][]Cell{{Text("1"), Text("2")}})}
	for _, f := range []Format{CSV, XLSX} {
		if err := Write(&bytes.Buffer{}, f, tb); err == nil {
			t.Errorf("%s: a row longer than the header was written", f)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, ok := range map[string]bool{"csv": true, "XLSX": true, "xls": false, "": false} {
		if _, got := ParseFormat(in); got != ok {
			t.Errorf("ParseFormat(%q) ok=%v", in, got)
		}
	}
}

// rowsOf yields n case-like rows.
func rowsOf(n int) iter.Seq[[]Cell] {
	at := time.Date(2026, 1, 1, 8, 0, 0, 0, shanghai)
	return func(yield func([]Cell) bool) {
		r := make([]Cell, 10)
		for i := range n {
			r[0] = Text(fmt.Sprintf("JS20260101-%05d", i))
			r[1] = Text("宿舍楼热水供应时间太短，希望延长到晚上十一点")
			r[2] = Text("complaint")
			r[3] = Text("后勤处")
			r[4] = Text("张三")
			r[5] = Text("13800001234")
			r[6] = Time(at.Add(time.Duration(i) * time.Minute))
			r[7] = Time(at.Add(time.Duration(i)*time.Minute + time.Hour))
			r[8] = Int(i % 5)
			r[9] = Text("replied")
			if !yield(r) {
				return
			}
		}
	}
}

func benchWrite(b *testing.B, f Format) {
	tb := Table{Header: make([]string, 10), Loc: shanghai}
	for i := range tb.Header {
		tb.Header[i] = fmt.Sprint("列", i)
	}
	tb.Rows = rowsOf(30000)
	var n int
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, f, tb); err != nil {
			b.Fatal(err)
		}
		n = buf.Len()
	}
	b.ReportMetric(float64(n), "bytes/file")
}

// BenchmarkWrite30000 writes 30,000 rows of 10 columns (a year of cases).
func BenchmarkWrite30000CSV(b *testing.B)  { benchWrite(b, CSV) }
func BenchmarkWrite30000XLSX(b *testing.B) { benchWrite(b, XLSX) }
