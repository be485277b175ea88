package gateway

import (
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// statusPage is the jkstatus of roll: every service and backend, refreshing every 2 s,
// laid out to read on a phone.
var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Truncate(time.Second).String() + " ago"
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="2">
<title>roll gateway</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70em;padding:.5em;color:#222}
h1{font-size:1.2em}h2{font-size:1.05em;margin:1.2em 0 .3em}
.meta{color:#666;font-size:.9em}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #ddd;white-space:nowrap}
td.num{text-align:right}
.active{color:#080}.draining{color:#a60}.stopped{color:#888}
.down{color:#c00;font-weight:bold}.err{color:#c00;white-space:normal;font-size:.85em}
.rollout{background:#ffe;padding:.3em .5em;border-left:3px solid #cc0}
</style></head><body>
<h1>roll gateway</h1>
<p class="meta">{{.Now.Format "2006-01-02 15:04:05 MST"}} · up {{.Uptime}} · {{len .Services}} services · refreshes every 2 s</p>
{{range .Services}}
<h2>{{.Name}} <span class="meta">{{.Protocol}} · {{range .Hosts}}{{.}} {{else}}any host {{end}}· {{range .PathPrefixes}}{{.}} {{end}}· drain {{.Drain.Mode}}</span></h2>
{{with .Rollout}}<p class="rollout">rollout: {{.Step}} ({{.Elapsed}}) {{.Message}}</p>{{end}}
<div class="table"><table>
<tr><th>backend</th><th>address</th><th>route</th><th>w</th><th>activation</th><th>health</th><th>in flight</th><th>sessions</th><th>requests</th><th>errors</th><th>last error</th></tr>
{{range .Backends}}<tr>
<td>{{.Name}}</td><td>{{.Address}}</td><td>{{.Route}}</td><td class="num">{{.Weight}}</td>
<td class="{{.Activation}}">{{.Activation}}</td>
<td>{{if .Healthy}}ok{{else}}<span class="down">down</span>{{end}}</td>
<td class="num">{{.InFlight}}</td><td class="num">{{.Sessions}}</td><td class="num">{{.Requests}}</td><td class="num">{{.Errors}}</td>
<td class="err">{{.LastError}} <span class="meta">{{ago .LastErrorAt}}</span></td>
</tr>{{else}}<tr><td colspan="11" class="meta">no backends</td></tr>{{end}}
</table></div>
{{else}}<p>No services yet. Add one with the admin API (PUT /v1/services/NAME) or roll deploy.</p>{{end}}
</body></html>
`))

func (g *Gateway) serveStatusPage(w http.ResponseWriter, _ *http.Request) {
	data := struct {
		Now      time.Time
		Uptime   time.Duration
		Services []admin.ServiceStatus
	}{time.Now(), time.Since(g.started).Truncate(time.Second), g.Services()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := statusPage.Execute(w, data); err != nil {
		g.log.Warn("status page not written", "err", err)
	}
}

func (g *Gateway) serveStatusJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Services []admin.ServiceStatus `json:"services"`
	}{g.Services()})
}
