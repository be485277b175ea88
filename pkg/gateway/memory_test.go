package gateway

import "testing"

// Traffic stops once per quiet spell: at the first tick without a request after busy ones.
func TestTrafficStop(t *testing.T) {
	s := trafficStop{}
	for i, tc := range []struct {
		served uint64
		want   bool
	}{{0, false}, {5, false}, {9, false}, {9, true}, {9, false}, {9, false}, {10, false}, {10, true}, {10, false}} {
		if got := s.tick(tc.served); got != tc.want {
			t.Errorf("tick %d (%d served): %v, want %v", i, tc.served, got, tc.want)
		}
	}
}
