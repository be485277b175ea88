package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// TestRolloutHoldsItsSwitch: a rollout asked to hold its switch waits after ready, the old
// backend serving, until the deploy answers: go on switches; an abort or no answer within
// the hold fails the rollout with the new backend removed; an answer for another rollout is
// a conflict.
func TestRolloutHoldsItsSwitch(t *testing.T) {
	tests := []struct {
		name   string
		answer func(t *testing.T, g *testGateway, id string)
		hold   time.Duration
		says   string // the failure; "" when it switches
	}{
		{"go on", func(t *testing.T, g *testGateway, id string) {
			if err := g.Switch(t.Context(), "app", admin.SwitchReply{Rollout: "someone-else"}); !errors.Is(err, admin.ErrConflict) {
				t.Errorf("an answer for another rollout: %v, want ErrConflict", err)
			}
			if err := g.Switch(t.Context(), "app", admin.SwitchReply{Rollout: id}); err != nil {
				t.Error(err)
			}
			if err := g.Switch(t.Context(), "app", admin.SwitchReply{Rollout: id}); !errors.Is(err, admin.ErrConflict) {
				t.Errorf("a second answer: %v, want ErrConflict", err)
			}
		}, time.Minute, ""},
		{"abort", func(t *testing.T, g *testGateway, id string) {
			if err := g.Switch(t.Context(), "app", admin.SwitchReply{Rollout: id, Abort: "pre_switch hook 1 exited 3"}); err != nil {
				t.Error(err)
			}
		}, time.Minute, "the deploy gave the switch up: pre_switch hook 1 exited 3"},
		{"no answer", func(*testing.T, *testGateway, string) {}, 300 * time.Millisecond, "did not answer the held switch within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := rolloutService(t, admin.DrainRequests, time.Minute)
			next := startNameBackend(t, "new")
			log := newEventLog()
			type outcome struct {
				res admin.RolloutResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := g.Rollout(context.Background(), "app", admin.RolloutRequest{
					Backends: []admin.BackendSpec{{Name: "new", Address: next.addr()}}, SwitchHold: admin.Duration(tt.hold),
				}, log.add)
				done <- outcome{res, err}
			}()
			ready := log.wait(t, admin.StepReady)
			time.Sleep(100 * time.Millisecond)
			if _, body := get(t, g.URL+"/x", ""); body != "old" {
				t.Fatalf("while the switch is held a request went to %s, want old", body)
			}
			if _, ok := log.find(admin.StepSwitched); ok {
				t.Fatal("switched without the deploy's answer")
			}
			tt.answer(t, g, ready.ID)
			o := <-done
			if tt.says == "" {
				if o.err != nil || !o.res.Switched {
					t.Fatalf("rollout: %+v, %v", o.res, o.err)
				}
				if _, body := get(t, g.URL+"/x", ""); body != "new" {
					t.Errorf("after the switch a request went to %s", body)
				}
				return
			}
			if o.err == nil || !strings.Contains(o.err.Error(), tt.says) || o.res.Switched {
				t.Fatalf("rollout: %+v, %v; want it failed saying %q", o.res, o.err, tt.says)
			}
			if st, _ := g.Service(t.Context(), "app"); len(st.Backends) != 1 || st.Backends[0].Name != "old" || st.Backends[0].Activation != admin.Active {
				t.Errorf("after the failure: %+v, want old alone, active", st.Backends)
			}
		})
	}
}
