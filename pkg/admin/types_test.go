package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestActivationJSON(t *testing.T) {
	for a, wire := range map[Activation]string{Active: `"active"`, Draining: `"draining"`, Stopped: `"stopped"`} {
		b, err := json.Marshal(a)
		if err != nil || string(b) != wire {
			t.Errorf("Marshal(%d) = %s, %v; want %s", a, b, err, wire)
		}
		var back Activation = -1
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, back, err, a)
		}
	}
	var p struct {
		A *Activation `json:"activation,omitempty"`
	}
	if err := json.Unmarshal([]byte(`{"activation":"STP"}`), &p); err != nil || p.A == nil || *p.A != Stopped {
		t.Errorf(`{"activation":"STP"} = %v, %v; want stopped`, p.A, err)
	}
	for _, bad := range []string{`"paused"`, `""`, `1`} {
		var a Activation
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("Unmarshal(%s) accepted %v", bad, a)
		}
	}
}

func TestParseActivation(t *testing.T) {
	tests := map[string]Activation{
		"active": Active, "ACT": Active, "act": Active, " Active ": Active,
		"draining": Draining, "DIS": Draining, "disabled": Draining,
		"stopped": Stopped, "STP": Stopped, "stp": Stopped,
	}
	for in, want := range tests {
		got, err := ParseActivation(in)
		if err != nil || got != want {
			t.Errorf("ParseActivation(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	_, err := ParseActivation("paused")
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseActivation(paused) = %v, want ErrInvalid", err)
	}
}

func TestActivationNames(t *testing.T) {
	for a, want := range map[Activation][2]string{Active: {"active", "ACT"}, Draining: {"draining", "DIS"}, Stopped: {"stopped", "STP"}} {
		if a.String() != want[0] || a.JK() != want[1] {
			t.Errorf("%d: String %q JK %q, want %q %q", int(a), a.String(), a.JK(), want[0], want[1])
		}
	}
	if got := Activation(7).String(); got != "activation(7)" {
		t.Errorf("Activation(7).String() = %q", got)
	}
}

func TestDurationJSON(t *testing.T) {
	for _, d := range []time.Duration{0, time.Millisecond, 30 * time.Second, 90 * time.Second, 2*time.Hour + time.Nanosecond} {
		b, err := json.Marshal(Duration(d))
		if err != nil || string(b) != `"`+d.String()+`"` {
			t.Errorf("Marshal(%v) = %s, %v", d, b, err)
		}
		var back Duration
		if err := json.Unmarshal(b, &back); err != nil || time.Duration(back) != d {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", b, time.Duration(back), err, d)
		}
	}
	var spec DrainSpec
	if err := json.Unmarshal([]byte(`{"timeout":"1m30s"}`), &spec); err != nil || spec.Timeout != Duration(90*time.Second) {
		t.Errorf("DrainSpec timeout = %v, %v", time.Duration(spec.Timeout), err)
	}
	if b, _ := json.Marshal(DrainSpec{}); string(b) != `{}` {
		t.Errorf("a zero duration is not omitted: %s", b)
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"soon"`), &d); !errors.Is(err, ErrInvalid) {
		t.Errorf(`Unmarshal("soon") = %v, want ErrInvalid`, err)
	}
}

func TestErrorOf(t *testing.T) {
	tests := []struct {
		err    error
		code   string
		status int
	}{
		{fmt.Errorf("x: %w", ErrUnauthorized), "unauthorized", http.StatusUnauthorized},
		{fmt.Errorf("x: %w", ErrNotFound), "not_found", http.StatusNotFound},
		{fmt.Errorf("x: %w", ErrConflict), "conflict", http.StatusConflict},
		{fmt.Errorf("x: %w", ErrInvalid), "invalid", http.StatusBadRequest},
		{fmt.Errorf("x: %w", ErrNotReady), "not_ready", http.StatusServiceUnavailable},
		{fmt.Errorf("x: %w", ErrBusy), "busy", http.StatusConflict},
		{fmt.Errorf("x: %w", ErrUnavailable), "unavailable", http.StatusServiceUnavailable},
		{errors.New("disk full"), "internal", http.StatusInternalServerError},
		{withSentinel(ErrNotFound, "service %q", "a"), "not_found", http.StatusNotFound},
		{fmt.Errorf("relayed: %w", &Error{Code: "busy", Message: "busy elsewhere"}), "busy", http.StatusConflict},
	}
	for _, tt := range tests {
		we, status := ErrorOf(tt.err)
		if we.Code != tt.code || status != tt.status {
			t.Errorf("ErrorOf(%v) = %s %d, want %s %d", tt.err, we.Code, status, tt.code, tt.status)
		}
		if tt.code != "internal" && !errors.Is(we, errors.Unwrap(tt.err)) && !errors.Is(tt.err, we.Unwrap()) {
			t.Errorf("ErrorOf(%v) = %+v does not unwrap to its sentinel", tt.err, we)
		}
	}
	if (&Error{Code: "whatever"}).Unwrap() != nil {
		t.Error("an unknown code unwraps to a sentinel")
	}
}
