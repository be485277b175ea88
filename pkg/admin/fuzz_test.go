package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlerBody sends arbitrary bodies to every endpoint that takes one: the
// handler must answer a 2xx or a 4xx JSON error, never a 5xx, whatever arrives.
func FuzzHandlerBody(f *testing.F) {
	for _, ec := range endpointCases {
		if ec.body != "" {
			f.Add(ec.body)
			f.Add(ec.invalid)
		}
	}
	for _, s := range []string{"", "{", `{"name":"\ud800"}`, `{"weight":1e400}`, `{"activation":null}`, `{"meta":{"a":"b","a":"c"}}`, `{"backends":[{"activation":"DIS"}]}`, `null`, `"x"`} {
		f.Add(s)
	}
	h := NewHandler(newFake(), testToken, WithLogger(slog.New(slog.DiscardHandler)))
	f.Fuzz(func(t *testing.T, body string) {
		for _, ec := range endpointCases {
			if ec.body == "" || ec.method == "DELETE" {
				continue
			}
			req := httptest.NewRequest(ec.method, ec.path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with %q: %d %s", ec.method, ec.path, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				var eb errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == nil || eb.Error.Code == "" {
					t.Fatalf("%s %s with %q: %d answered %s, not an admin error", ec.method, ec.path, body, rec.Code, rec.Body)
				}
			}
			if rec.Code == http.StatusOK && ec.name == "rollout" && rec.Header().Get("Content-Type") != NDJSONContentType {
				t.Fatalf("rollout with %q: 200 without a stream", body)
			}
		}
	})
}
