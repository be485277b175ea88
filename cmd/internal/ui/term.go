// Package ui is everything a person reads: colour, tables, step lines, live
// progress, and the JSON event stream for scripts.
package ui

import (
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// Term is an output stream and what it can show.
type Term struct {
	Out   io.Writer
	TTY   bool // a terminal: live progress lines are rewritten in place
	Color bool // colour is on: a TTY, NO_COLOR unset, --no-color not given, TERM not dumb
	Width int  // columns of the terminal, 0 when unknown; a live line must fit or it cannot be rewritten

	green, red, yellow, dim, bold *color.Color
}

// NewTerm decides once whether out gets colour and live lines.
func NewTerm(out io.Writer, noColor bool) *Term {
	tty, width := false, 0
	if f, ok := out.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
		if tty {
			width = columns(f.Fd())
		}
	}
	_, noColorEnv := os.LookupEnv("NO_COLOR")
	useColor := tty && !noColor && !noColorEnv && os.Getenv("TERM") != "dumb"
	t := newTerm(out, tty, useColor)
	t.Width = width
	return t
}

// newTerm is a Term with the given traits, whatever out is (tests fake a terminal with it).
func newTerm(out io.Writer, tty, useColor bool) *Term {
	t := &Term{Out: out, TTY: tty, Color: useColor}
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if useColor {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	t.green, t.red, t.yellow = mk(color.FgGreen), mk(color.FgRed), mk(color.FgYellow)
	t.dim, t.bold = mk(color.Faint), mk(color.Bold)
	return t
}

// Green, Red, Yellow, Dim and Bold colour s when colour is on.
func (t *Term) Green(s string) string  { return t.green.Sprint(s) }
func (t *Term) Red(s string) string    { return t.red.Sprint(s) }
func (t *Term) Yellow(s string) string { return t.yellow.Sprint(s) }
func (t *Term) Dim(s string) string    { return t.dim.Sprint(s) }
func (t *Term) Bold(s string) string   { return t.bold.Sprint(s) }
