package admin

import (
	"net/http"
	"net/url"
)

// The unary endpoints: decode, check the path against the body, call the
// Service, answer. Errors are written by handler.serve.

func (h *handler) listServices(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.Services(r.Context())
	if err != nil {
		return err
	}
	out := make([]ServiceStatus, 0, len(list)) // [] rather than null when there is none
	for _, s := range list {
		out = append(out, withoutSecret(s))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *handler) getService(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Service(r.Context(), r.PathValue("svc"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, withoutSecret(st))
}

func (h *handler) putService(w http.ResponseWriter, r *http.Request) error {
	var spec ServiceSpec
	if err := decodeBody(w, r, &spec, "ServiceSpec"); err != nil {
		return err
	}
	name, err := matchPath(r.PathValue("svc"), spec.Name, "service name")
	if err != nil {
		return err
	}
	spec.Name = name
	if err := h.svc.PutService(r.Context(), spec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) deleteService(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteService(r.Context(), r.PathValue("svc")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) addBackend(w http.ResponseWriter, r *http.Request) error {
	var spec BackendSpec
	if err := decodeBody(w, r, &spec, "BackendSpec"); err != nil {
		return err
	}
	svc := r.PathValue("svc")
	st, err := h.svc.AddBackend(r.Context(), svc, spec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/services/"+url.PathEscape(svc)+"/backends/"+url.PathEscape(st.Name))
	return writeJSON(w, http.StatusCreated, st)
}

func (h *handler) updateBackend(w http.ResponseWriter, r *http.Request) error {
	var patch BackendPatch
	if err := decodeBody(w, r, &patch, "BackendPatch"); err != nil {
		return err
	}
	st, err := h.svc.UpdateBackend(r.Context(), r.PathValue("svc"), r.PathValue("name"), patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (h *handler) removeBackend(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.RemoveBackend(r.Context(), r.PathValue("svc"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listDeploys(w http.ResponseWriter, r *http.Request) error {
	recs, err := h.svc.Deploys(r.Context(), r.PathValue("svc"))
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []DeployRecord{}
	}
	return writeJSON(w, http.StatusOK, recs)
}

func (h *handler) recordDeploy(w http.ResponseWriter, r *http.Request) error {
	var rec DeployRecord
	if err := decodeBody(w, r, &rec, "DeployRecord"); err != nil {
		return err
	}
	svc, err := matchPath(r.PathValue("svc"), rec.Service, "service")
	if err != nil {
		return err
	}
	rec.Service = svc
	if err := h.svc.RecordDeploy(r.Context(), rec); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) handoff(w http.ResponseWriter, r *http.Request) error {
	var reply HandoffReply
	if err := decodeBody(w, r, &reply, "HandoffReply"); err != nil {
		return err
	}
	if err := h.svc.Handoff(r.Context(), r.PathValue("svc"), reply); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) switchNow(w http.ResponseWriter, r *http.Request) error {
	var reply SwitchReply
	if err := decodeBody(w, r, &reply, "SwitchReply"); err != nil {
		return err
	}
	if err := h.svc.Switch(r.Context(), r.PathValue("svc"), reply); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// matchPath checks a name given both in the path and in the body: an empty
// body name takes the path's, a different one is refused rather than letting
// one of them win silently.
func matchPath(path, body, what string) (string, error) {
	if body != "" && body != path {
		return "", withSentinel(ErrInvalid, "the %s in the body (%q) differs from the one in the path (%q); leave it empty or make them match", what, body, path)
	}
	return path, nil
}

// withoutSecret clears what must never leave the gateway.
func withoutSecret(s ServiceStatus) ServiceStatus {
	s.Secret = ""
	return s
}
