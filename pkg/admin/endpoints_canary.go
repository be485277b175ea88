package admin

import "net/http"

// The endpoints of a running canary: a person's verdict, promote or abort.

func (h *handler) promote(w http.ResponseWriter, r *http.Request) error {
	var d CanaryDecision
	if err := decodeBody(w, r, &d, "CanaryDecision"); err != nil {
		return err
	}
	st, err := h.svc.PromoteCanary(r.Context(), r.PathValue("svc"), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *handler) abort(w http.ResponseWriter, r *http.Request) error {
	var d CanaryDecision
	if err := decodeBody(w, r, &d, "CanaryDecision"); err != nil {
		return err
	}
	st, err := h.svc.AbortCanary(r.Context(), r.PathValue("svc"), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
