package gateway

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/rollcd/roll/pkg/admin"
)

// statusPage is the jkstatus of roll: every service and backend, refreshing every 2 s,
// laid out to read on a phone.
var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"pct": pct,
	"dur": func(d admin.Duration) string {
		if time.Duration(d) >= time.Second {
			return time.Duration(d).Round(time.Second).String()
		}
		return time.Duration(d).Round(100 * time.Microsecond).String()
	},
	"ms": func(seconds float64) string { return formatChartValue(seconds*1000, "ms") },
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Truncate(time.Second).String() + " ago"
	},
	"percent": func(share float64) string { return strconv.FormatFloat(100*share, 'f', 1, 64) + " %" },
	"until": func(t time.Time) string {
		d := time.Until(t)
		if d < 0 {
			return "expired"
		}
		if d >= 48*time.Hour {
			return strconv.Itoa(int(d/(24*time.Hour))) + " days"
		}
		return d.Truncate(time.Minute).String()
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="2">
<title>roll gateway</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:.5em .7em;color:#222}
h1{font-size:1.2em;margin:.3em 0}h2{font-size:1.05em;margin:1.2em 0 .4em}
.meta{color:#666;font-size:.85em;font-weight:normal}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17em,1fr));gap:.5em}
.card{border:1px solid #ddd;border-left:5px solid #888;border-radius:4px;padding:.4em .6em}
.card.active{border-left-color:#2a2}.card.draining{border-left-color:#d80}.card.stopped{border-left-color:#aaa;color:#777}
.name{font-weight:bold;word-break:break-all}
.tag{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.8em;margin-left:.3em;background:#eee}
.tag.active{background:#dfd}.tag.draining{background:#fe9}.tag.down{background:#c00;color:#fff}
.stats{display:flex;flex-wrap:wrap;gap:.2em 1em;margin:.2em 0}
.stats b{font-variant-numeric:tabular-nums}
.err{color:#c00;font-size:.8em;word-break:break-word}
.canary{background:#f3f0ff;padding:.3em .5em;border-left:3px solid #d9480f;margin:.3em 0}.canary.abort{background:#fee}.canary.promote{background:#efe}
.rollout{background:#ffe;padding:.3em .5em;border-left:3px solid #cc0;margin:.3em 0}
.charts{display:flex;flex-wrap:wrap;gap:.3em .8em;margin:.3em 0}
.chart{margin:0}.chart figcaption{font-size:.8em;color:#555}.chart svg{display:block;max-width:100%;height:auto}
.gate{background:#eef4ff;padding:.3em .5em;border-left:3px solid #36c;margin:.3em 0}.gate.maint{background:#fee;border-left-color:#c33}
</style></head><body>
<h1>roll gateway</h1>
<div class="meta">{{.Now.Format "2006-01-02 15:04:05 MST"}} · up {{.Uptime}} · {{len .Services}} services · refreshes every 2 s</div>
{{range .Services}}{{$charts := index $.Charts .Name}}
<h2>{{.Name}} <span class="meta">{{.Protocol}} · {{range .Hosts}}{{.}} {{else}}any host {{end}}· {{range .PathPrefixes}}{{.}} {{end}}· drain by {{.Drain.Mode}} · client errors {{.ClientErrors}}</span></h2>
{{with .Pause}}{{if .Active}}<div class="gate">paused since {{.Since.Format "15:04:05 MST"}}, resumes by itself at {{.Until.Format "15:04:05 MST"}} · held <b>{{.Held}}</b> (at most {{.MaxHeld}}) · released {{.Released}} · gone {{.Gone}} · refused {{.Refused}}</div>{{else}}<div class="meta">last pause ended by {{.EndedBy}} {{ago .Ended}} · released {{.Released}} · gone {{.Gone}} · refused {{.Refused}}</div>{{end}}{{end}}
{{with .Maintenance}}{{if .Active}}<div class="gate maint">in maintenance since {{.Since.Format "15:04:05 MST"}} · answered {{.Answered}} · “{{.Message}}”</div>{{end}}{{end}}
{{with .Canary}}<div class="canary {{.Verdict}}">canary: <b>{{.Verdict}}</b> · {{pct .Spec.Share}} of new sessions · {{dur .Left}} left · new <b>{{.New.Requests}}</b> requests, <b>{{pct .New.ErrorRate}}</b> failed{{with .New.P95}}, p95 <b>{{dur .}}</b>{{end}} · old <b>{{.Old.Requests}}</b> requests, <b>{{pct .Old.ErrorRate}}</b> failed{{with .Old.P95}}, p95 <b>{{dur .}}</b>{{end}} · {{.Reason}}</div>{{end}}
{{with $charts.Canary}}<div class="charts canary-charts">{{range .}}{{.}}{{end}}</div>{{end}}
{{with .Rollout}}<div class="rollout">rollout: <b>{{.Step}}</b> after {{.Elapsed}} {{.Message}}</div>{{end}}
{{with .Watch}}<div class="rollout watch">post-switch watch: <b>{{.Verdict}}</b> · {{.Left}} left of {{.Spec.Window}}, old backends kept warm · <b>{{.Failed}}</b> of <b>{{.Requests}}</b> requests failed ({{percent .ErrorRate}}) · flips back above {{percent .Spec.MaxErrorRate}} once {{.Spec.MinRequests}} answered{{with .Reason}} · {{.}}{{end}}</div>{{end}}
{{with $charts.Compare}}<div class="charts">{{range .}}{{.}}{{end}}</div>{{end}}
<div class="cards">
{{range .Backends}}<div class="card {{.Activation}}">
<div><span class="name">{{.Name}}</span><span class="tag {{.Activation}}">{{.Activation}}</span>{{if .Healthy}}<span class="tag">healthy</span>{{else}}<span class="tag down">down</span>{{end}}</div>
<div class="stats"><span>in flight <b>{{.InFlight}}</b></span><span>sessions <b>{{.Sessions}}</b></span><span>requests <b>{{.Requests}}</b></span><span>5xx <b>{{.Responses.ServerError}}</b></span><span>errors <b>{{.Errors}}</b></span>{{with .P95Seconds}}<span>p95 (1 min) <b>{{ms .}}</b></span>{{end}}</div>
<div class="meta">{{.Address}} · route {{.Route}} · weight {{.Weight}}</div>
<div class="charts">{{range index $charts.Backends .Name}}{{.}}{{end}}</div>
{{with .LastError}}<div class="err">{{.}}</div>{{end}}{{if .LastError}}<div class="meta">{{ago .LastErrorAt}}</div>{{end}}
</div>{{else}}<div class="meta">no backends</div>{{end}}
</div>
{{else}}<p>No services yet. Add one with the admin API (PUT /v1/services/NAME) or roll deploy.</p>{{end}}
{{with .TLS}}<h2>TLS certificates <span class="meta">handshake failures {{.HandshakeFailures}} · failed reloads {{.FailedReloads}}</span></h2>
<div class="cards">
{{range .Certificates}}<div class="card active">
<div><span class="name">{{range .Names}}{{.}} {{else}}(no DNS name){{end}}</span>{{if .Default}}<span class="tag">default</span>{{end}}</div>
<div class="stats"><span>expires <b>{{.NotAfter.Format "2006-01-02 15:04 MST"}}</b></span><span>in <b>{{until .NotAfter}}</b></span></div>
<div class="meta">{{.Cert}}</div>
</div>{{end}}
{{range .ACME}}<div class="card active">
<div><span class="name">{{.Host}}</span><span class="tag">ACME</span></div>
<div class="stats">{{with .NotAfter}}<span>expires <b>{{.Format "2006-01-02 15:04 MST"}}</b></span><span>in <b>{{until .}}</b></span>{{else}}<span>not issued yet</span>{{end}}</div>
{{with .Error}}<div class="err">{{.}}</div>{{end}}
</div>{{end}}
</div>
{{range .Problems}}<div class="err">{{.File}}: {{.Error}} (the last good version serves)</div>{{end}}
{{end}}
</body></html>
`))

func (g *Gateway) serveStatusPage(w http.ResponseWriter, _ *http.Request) {
	data := struct {
		Now      time.Time
		Uptime   time.Duration
		Services []admin.ServiceStatus
		Charts   map[string]serviceCharts
		TLS      *tlsStatus
	}{time.Now(), time.Since(g.started).Truncate(time.Second), g.statuses(), g.statusCharts(), g.tlsStatus()}
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
		TLS      *tlsStatus            `json:"tls,omitempty"`
	}{g.statuses(), g.tlsStatus()})
}
