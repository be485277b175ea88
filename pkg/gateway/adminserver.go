package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/rollcd/roll/pkg/admin"
)

// statusCookie lets a browser that opened /status?token=… keep the page open. It carries a
// value derived from the token, never the token: browsers send cookies to every port of a
// host, so it also reaches the public listener (which drops it before any backend sees it).
const statusCookie = "roll_status"

// statusCookieValue derives the cookie's value from the admin token; it opens the status
// pages only, not the admin API.
func statusCookieValue(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("roll status page cookie v1"))
	return hex.EncodeToString(mac.Sum(nil))
}

// AdminHandler serves the admin listener: the admin API under /v1/ and /healthz (from
// pkg/admin), and the status page, its JSON and the metrics, which need the token too
// unless cfg.PublicStatus.
func (g *Gateway) AdminHandler() http.Handler {
	api := admin.NewHandler(g, g.cfg.AdminToken, admin.WithLogger(g.log))
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/healthz", api)
	mux.Handle("GET /status", g.statusAuth(http.HandlerFunc(g.serveStatusPage)))
	mux.Handle("GET /status.json", g.statusAuth(http.HandlerFunc(g.serveStatusJSON)))
	mux.Handle("GET /metrics", g.statusAuth(http.HandlerFunc(g.serveMetrics)))
	mux.Handle("/", api) // its 404 answers in the API's JSON form
	return mux
}

// statusAuth asks for the token as a Bearer header, or once as ?token=, which then lives
// in an HttpOnly cookie so that a browser (a phone) can keep the page open.
func (g *Gateway) statusAuth(next http.Handler) http.Handler {
	if g.cfg.PublicStatus {
		return next
	}
	want := sha256.Sum256([]byte(g.cfg.AdminToken))
	ok := func(token string) bool {
		got := sha256.Sum256([]byte(token))
		return token != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1
	}
	cookie := statusCookieValue(g.cfg.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") && ok(strings.TrimSpace(token)) {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(statusCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(cookie)) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query(); q.Has("token") {
			if ok(q.Get("token")) {
				http.SetCookie(w, &http.Cookie{Name: statusCookie, Value: cookie, Path: "/",
					HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
				// Drop the token from the address bar and the browser history.
				q.Del("token")
				u := *r.URL
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="roll admin"`)
		http.Error(w, "401 unauthorized: send the admin token as \"Authorization: Bearer <token>\", or open this page once with ?token=<token>", http.StatusUnauthorized)
	})
}
