package admin

import "net/http"

// The endpoints of a service's gate: pause and resume, maintenance on and off.

func (h *handler) pause(w http.ResponseWriter, r *http.Request) error {
	var req PauseRequest
	if err := decodeBody(w, r, &req, "PauseRequest"); err != nil {
		return err
	}
	st, err := h.svc.Pause(r.Context(), r.PathValue("svc"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *handler) resume(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Resume(r.Context(), r.PathValue("svc"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *handler) startMaintenance(w http.ResponseWriter, r *http.Request) error {
	var spec MaintenanceSpec
	if err := decodeBody(w, r, &spec, "MaintenanceSpec"); err != nil {
		return err
	}
	st, err := h.svc.StartMaintenance(r.Context(), r.PathValue("svc"), spec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *handler) endMaintenance(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.EndMaintenance(r.Context(), r.PathValue("svc"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}
