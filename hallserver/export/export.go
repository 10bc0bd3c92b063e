// Package export writes one table (a header row, then rows of typed cells) as CSV or XLSX, for
// the downloads of the staff pages (the case list, the rates per department, the daily report,
// the queue reports).
//
// CSV is UTF-8 with a byte order mark, so that Excel opens Chinese text correctly, written with
// encoding/csv. XLSX is written with excelize's StreamWriter, which keeps the rows of the sheet
// on a temporary file rather than in memory, so a list of tens of thousands of rows costs little
// memory. Text cells that a spreadsheet would take for a formula (starting with = + - @, or a tab
// or carriage return) are prefixed with an apostrophe in both formats: people's text goes into
// these files (CSV injection). Times are written in the table's zone (the campus zone): as text
// "2006-01-02 15:04:05" in CSV, as a date-time number with a date format in XLSX.
package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Format is a file format of an export.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat returns the format named by s ("csv" or "xlsx"), or false.
func ParseFormat(s string) (Format, bool) {
	switch f := Format(strings.ToLower(s)); f {
	case CSV, XLSX:
		return f, true
	}
	return "", false
}

// ContentType returns the media type of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// kind is what a cell holds.
type kind uint8

const (
	kindEmpty kind = iota
	kindText
	kindNumber
	kindTime
)

// Cell is one typed cell of a row: text, a number, a time, or empty.
type Cell struct {
	kind kind
	text string
	num  float64
	t    time.Time
}

// Text returns a text cell.
func Text(s string) Cell { return Cell{kind: kindText, text: s} }

// Number returns a number cell.
func Number(v float64) Cell { return Cell{kind: kindNumber, num: v} }

// Int returns a number cell of an integer.
func Int(v int) Cell { return Number(float64(v)) }

// Time returns a time cell; the zero time gives an empty cell.
func Time(t time.Time) Cell {
	if t.IsZero() {
		return Cell{}
	}
	return Cell{kind: kindTime, t: t}
}

// TimePtr returns a time cell of *t, or an empty cell for nil.
func TimePtr(t *time.Time) Cell {
	if t == nil {
		return Cell{}
	}
	return Time(*t)
}

// Empty returns an empty cell.
func Empty() Cell { return Cell{} }

// Table is what an export writes: one header row, then the rows, each as long as the header.
type Table struct {
	// Sheet names the XLSX sheet (at most 31 characters; "Sheet1" when empty).
	Sheet  string
	Header []string
	// Rows yields the rows in order; a row shorter than the header is padded with empty cells,
	// a longer one is an error.
	Rows iter.Seq[[]Cell]
	// Loc is the zone times are written in (UTC when nil).
	Loc *time.Location
}

// TimeLayout is how CSV writes a time (in the table's zone).
const TimeLayout = "2006-01-02 15:04:05"

// BOM is the UTF-8 byte order mark a CSV export starts with.
const BOM = "\ufeff"

// Write writes the table in the format to w.
func Write(w io.Writer, f Format, t Table) error {
	switch f {
	case CSV:
		return WriteCSV(w, t)
	case XLSX:
		return WriteXLSX(w, t)
	}
	return fmt.Errorf("export: unknown format %q", f)
}

// Guard returns s as a spreadsheet should show it: text that starts with = + - @ (or a tab or
// carriage return, which some programs skip before looking for a formula) gets a leading
// apostrophe, so that it is never run as a formula.
func Guard(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func (t *Table) loc() *time.Location {
	if t.Loc == nil {
		return time.UTC
	}
	return t.Loc
}

// row checks a row's length against the header.
func (t *Table) row(i int, r []Cell) error {
	if len(r) > len(t.Header) {
		return fmt.Errorf("export: row %d has %d cells, the header %d", i+1, len(r), len(t.Header))
	}
	return nil
}

// WriteCSV writes the table as CSV: the BOM, the header, the rows (RFC 4180, CRLF line ends as
// Excel expects).
func WriteCSV(w io.Writer, t Table) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(BOM); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	head := make([]string, len(t.Header))
	for i, h := range t.Header {
		head[i] = Guard(h)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("export csv header: %w", err)
	}
	loc := t.loc()
	rec := make([]string, len(t.Header))
	i := 0
	if t.Rows != nil {
		for r := range t.Rows {
			if err := t.row(i, r); err != nil {
				return err
			}
			for j := range rec {
				rec[j] = ""
				if j < len(r) {
					rec[j] = csvText(r[j], loc)
				}
			}
			if err := cw.Write(rec); err != nil {
				return fmt.Errorf("export csv row %d: %w", i+1, err)
			}
			i++
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// csvText is a cell as CSV writes it.
func csvText(c Cell, loc *time.Location) string {
	switch c.kind {
	case kindText:
		return Guard(c.text)
	case kindNumber:
		return strconv.FormatFloat(c.num, 'f', -1, 64)
	case kindTime:
		return c.t.In(loc).Format(TimeLayout)
	}
	return ""
}

// WriteXLSX writes the table as an XLSX workbook of one sheet, row by row through excelize's
// StreamWriter: the header bold and frozen, times as date-times of the table's zone.
func WriteXLSX(w io.Writer, t Table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("export xlsx: %w", cerr)
		}
	}()
	sheet := t.Sheet
	if sheet == "" {
		sheet = "Sheet1"
	} else if r := []rune(sheet); len(r) > 31 {
		sheet = string(r[:31])
	}
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return fmt.Errorf("export xlsx sheet name: %w", err)
		}
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("export xlsx style: %w", err)
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return fmt.Errorf("export xlsx style: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export xlsx panes: %w", err)
	}
	for j, h := range t.Header {
		// a width by the header's length, wider for times; Chinese characters count double
		width := 2.0 + float64(len([]rune(h)))*1.6
		if width < 10 {
			width = 10
		}
		if err := sw.SetColWidth(j+1, j+1, width); err != nil {
			return fmt.Errorf("export xlsx width: %w", err)
		}
	}
	row := make([]any, len(t.Header))
	for j, h := range t.Header {
		row[j] = excelize.Cell{StyleID: bold, Value: Guard(h)}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return fmt.Errorf("export xlsx header: %w", err)
	}
	loc := t.loc()
	i := 0
	if t.Rows != nil {
		for r := range t.Rows {
			if err := t.row(i, r); err != nil {
				return err
			}
			for j := range row {
				row[j] = nil
				if j >= len(r) {
					continue
				}
				switch c := r[j]; c.kind {
				case kindText:
					row[j] = Guard(c.text)
				case kindNumber:
					row[j] = c.num
				case kindTime:
					// excelize counts from a UTC epoch: hand it the zone's wall clock as UTC
					l := c.t.In(loc)
					wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
					row[j] = excelize.Cell{StyleID: date, Value: wall}
				}
			}
			cell, err := excelize.CoordinatesToCellName(1, i+2)
			if err != nil {
				return fmt.Errorf("export xlsx row %d: %w", i+1, err)
			}
			if err := sw.SetRow(cell, row); err != nil {
				return fmt.Errorf("export xlsx row %d: %w", i+1, err)
			}
			i++
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	return nil
}
