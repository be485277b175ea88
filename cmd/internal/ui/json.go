package ui

import (
	"encoding/json"
	"io"
	"sync"

	"github.com/rollcd/roll/pkg/deploy"
)

// JSONEvents writes each deploy event as one JSON object per line (for CI), every
// progress event included: scripts decide for themselves what to show.
type JSONEvents struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONEvents writes to w.
func NewJSONEvents(w io.Writer) *JSONEvents { return &JSONEvents{enc: json.NewEncoder(w)} }

// Event writes e as one line.
func (j *JSONEvents) Event(e deploy.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e)
}
