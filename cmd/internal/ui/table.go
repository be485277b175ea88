package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table writes rows under a header, columns padded to their widest cell.
// Widths count runes of the uncoloured text, so colour codes never misalign columns.
type Table struct {
	header []string
	rows   [][]Cell
}

// Cell is a cell's text and how to paint it.
type Cell struct {
	Text  string
	Paint func(string) string
}

// Plain is a cell without colour.
func Plain(s string) Cell { return Cell{Text: s} }

// NewTable starts a table with the given column names.
func NewTable(header ...string) *Table { return &Table{header: header} }

// Row adds a row; missing cells are empty.
func (t *Table) Row(cells ...Cell) { t.rows = append(t.rows, cells) }

// Write prints the table to term.
func (t *Table) Write(term *Term) {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c.Text))
			}
		}
	}
	line := func(cells []Cell, header bool) {
		var b strings.Builder
		for i := range widths {
			var c Cell
			if i < len(cells) {
				c = cells[i]
			}
			text := c.Text
			if header {
				text = term.Dim(text)
			} else if c.Paint != nil {
				text = c.Paint(text)
			}
			b.WriteString(text)
			if i < len(widths)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.Text)+2))
			}
		}
		fmt.Fprintln(term.Out, strings.TrimRight(b.String(), " "))
	}
	hdr := make([]Cell, len(t.header))
	for i, h := range t.header {
		hdr[i] = Plain(h)
	}
	line(hdr, true)
	for _, r := range t.rows {
		line(r, false)
	}
}
