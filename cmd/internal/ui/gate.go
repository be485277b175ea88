package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// What roll pause, resume and maintenance print, and the lines roll status shows of a
// service's pause and maintenance.

// Paused says what the pause does now.
func Paused(t *Term, service string, st admin.PauseStatus) {
	fmt.Fprintf(t.Out, "%s %s: new requests wait at the gateway until `roll resume %s`, or until %s (in %s), when the gateway resumes by itself; at most %d wait, more get 503\n",
		t.Yellow("paused:"), service, service, clock(st.Until), time.Until(st.Until).Round(time.Second), st.MaxHeld)
	if st.Held > 0 {
		fmt.Fprintf(t.Out, "%s %d requests wait now\n", t.Dim("held:"), st.Held)
	}
}

// Resumed says how long the pause lasted and what became of its requests.
func Resumed(t *Term, service string, st admin.PauseStatus) {
	fmt.Fprintf(t.Out, "%s %s after %s: %s\n", t.Green("resumed:"), service, st.Ended.Sub(st.Since).Round(100*time.Millisecond), heldCounts(st))
}

// NotPaused says that there was nothing to resume, and how the last pause ended.
func NotPaused(t *Term, service string, last *admin.PauseStatus) {
	if last == nil || last.Active() {
		fmt.Fprintf(t.Out, "%s was not paused\n", service)
		return
	}
	fmt.Fprintf(t.Out, "%s was not paused (last pause: %s)\n", service, pauseEnd(*last))
}

// MaintenanceOn says what visitors see now.
func MaintenanceOn(t *Term, service string, st admin.MaintenanceStatus) {
	fmt.Fprintf(t.Out, "%s %s answers 503 (Retry-After %s) with the message %q, except its health path, until `roll maintenance %s off`\n",
		t.Yellow("maintenance on:"), service, seconds(st.RetryAfter), st.Message, service)
}

// MaintenanceOff says how long the maintenance lasted.
func MaintenanceOff(t *Term, service string, st admin.MaintenanceStatus) {
	fmt.Fprintf(t.Out, "%s %s serves again after %s of maintenance (%d requests got the maintenance page)\n",
		t.Green("maintenance off:"), service, st.Ended.Sub(st.Since).Round(time.Second), st.Answered)
}

// GateLines are what roll status shows of a service's pause and maintenance: the ones under
// way, and how the last pause ended.
func GateLines(t *Term, p *admin.PauseStatus, m *admin.MaintenanceStatus) []string {
	var out []string
	if m != nil && m.Active() {
		out = append(out, fmt.Sprintf("%s since %s, %d requests answered 503 (Retry-After %s): %q",
			t.Red("maintenance:"), clock(m.Since), m.Answered, seconds(m.RetryAfter), m.Message))
	}
	switch {
	case p == nil:
	case p.Active():
		out = append(out, fmt.Sprintf("%s since %s, resumes by itself at %s: %d held (at most %d), %s",
			t.Yellow("paused:"), clock(p.Since), clock(p.Until), p.Held, p.MaxHeld, heldCounts(*p)))
	default:
		out = append(out, fmt.Sprintf("%s %s", t.Dim("last pause:"), pauseEnd(*p)))
	}
	return out
}

// pauseEnd says how an ended pause ended.
func pauseEnd(st admin.PauseStatus) string {
	how := map[string]string{
		admin.PauseEndedByResume:      "resumed",
		admin.PauseEndedByMax:         "its max passed and the gateway resumed by itself",
		admin.PauseEndedByMaintenance: "maintenance replaced it",
	}[st.EndedBy]
	return fmt.Sprintf("paused %s–%s, %s; %s", clock(st.Since), clock(st.Ended), how, heldCounts(st))
}

func heldCounts(st admin.PauseStatus) string {
	parts := []string{fmt.Sprintf("%d held requests released in arrival order", st.Released)}
	if st.Gone > 0 {
		parts = append(parts, fmt.Sprintf("%d left while held", st.Gone))
	}
	if st.Refused > 0 {
		parts = append(parts, fmt.Sprintf("%d refused (503) because %d already waited", st.Refused, st.MaxHeld))
	}
	return strings.Join(parts, ", ")
}

func clock(t time.Time) string { return t.Local().Format("15:04:05") }

func seconds(d admin.Duration) string {
	return strconv.FormatInt(int64(time.Duration(d)/time.Second), 10) + "s"
}
