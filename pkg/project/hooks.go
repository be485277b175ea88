package project

import (
	"fmt"
	"strings"
	"time"
)

// Hooks are commands a deploy runs at two of its steps (x-roll.hooks):
//
//	hooks:
//	  pre_switch:                          # after the new containers proved ready, before the switch
//	    - ["/app/bin/migrate", "--check"]  # a command in the new container (exec form, no shell)
//	    - {command: ["./smoke.sh"], run: local, timeout: 2m}
//	  post_deploy:                         # after the old containers were stopped
//	    - {command: ["/app/bin/warm-cache"], each: true}
//
// A failing pre_switch hook rolls the deploy back as a failed readiness does; a failing
// post_deploy hook is reported (exit code 10) and undoes nothing.

// Bounds of a hook.
const (
	DefaultHookTimeout = time.Minute
	MaxHookTimeout     = time.Hour
)

// HookRun says where a hook's command runs.
type HookRun string

// Where hooks run.
const (
	// HookInContainer runs the command in the new container, as docker exec does (the
	// default): with the container's environment, user and file system.
	HookInContainer HookRun = "container"
	// HookLocal runs the command on the machine that runs roll, in the project directory.
	HookLocal HookRun = "local"
)

// Hook is one command of x-roll.hooks.
type Hook struct {
	// Run says where the command runs.
	Run HookRun
	// Command is the command and its arguments (exec form: no shell unless it names one).
	Command []string
	// Timeout bounds the command; past it the hook has failed.
	Timeout time.Duration
	// Each runs a container hook in every new container, one after the other; by default it
	// runs in the first one only (a migration must run once).
	Each bool
}

// HookSettings are x-roll.hooks.
type HookSettings struct {
	// PreSwitch run, in order, once every new container is ready and before the gateway switches to them.
	PreSwitch []Hook
	// PostDeploy run, in order, once the deploy succeeded and the old containers are stopped.
	PostDeploy []Hook
}

// decodeHooks reads x-roll.hooks.
func decodeHooks(o *object) HookSettings {
	var hs HookSettings
	hk := o.object("hooks")
	if hk == nil {
		return hs
	}
	hs.PreSwitch = hk.hookList("pre_switch")
	hs.PostDeploy = hk.hookList("post_deploy")
	hk.finish()
	return hs
}

const hookForms = `each a command list such as ["/app/migrate"] or a mapping {command: [...], run: container|local, timeout: 60s, each: false}`

// hookList reads a list of hooks at key.
func (o *object) hookList(key string) []Hook {
	v, ok := o.value(key)
	if !ok {
		return nil
	}
	at := o.path.child(key)
	items, isList := v.([]any)
	if !isList {
		o.d.addf(at, "must be a list of hooks, %s; not %s", hookForms, describe(v))
		return nil
	}
	var out []Hook
	for i, item := range items {
		if h, ok := o.d.hook(at.child(fmt.Sprintf("[%d]", i)), item); ok {
			out = append(out, h)
		}
	}
	return out
}

// hook reads one hook in either of its forms.
func (d *decoder) hook(at keyPath, v any) (Hook, bool) {
	h := Hook{Run: HookInContainer, Timeout: DefaultHookTimeout}
	switch t := v.(type) {
	case []any:
		h.Command = d.command(at, t)
		return h, h.Command != nil
	case map[string]any:
		ho := d.newObject(at, t)
		run := string(h.Run)
		ho.enum("run", &run, string(HookInContainer), string(HookLocal))
		h.Run = HookRun(run)
		if cv, ok := ho.value("command"); !ok {
			d.addf(at.child("command"), "is required: the command to run, as a list such as [\"/app/migrate\"]")
		} else if list, isList := cv.([]any); isList {
			h.Command = d.command(at.child("command"), list)
		} else {
			d.addf(at.child("command"), "%s", stringCommandAdvice(cv))
		}
		ho.duration("timeout", &h.Timeout)
		if h.Timeout > MaxHookTimeout {
			d.addf(at.child("timeout"), "%s is longer than %s: a deploy waits for its hooks, keep them short", h.Timeout, MaxHookTimeout)
		}
		ho.bool("each", &h.Each)
		if h.Each && h.Run == HookLocal {
			d.addf(at.child("each"), "only applies to run: container: a local hook runs once, on the machine that runs roll")
		}
		ho.finish()
		return h, h.Command != nil
	default:
		d.addf(at, "%s", stringCommandAdvice(v))
		return h, false
	}
}

// command reads a command in exec form: a non-empty list of non-empty strings.
func (d *decoder) command(at keyPath, items []any) []string {
	if len(items) == 0 {
		d.addf(at, "is empty: name the program to run and its arguments")
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, isString := item.(string)
		if !isString || s == "" {
			d.addf(at.child(fmt.Sprintf("[%d]", i)), "must be a non-empty string, not %s", describe(item))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// stringCommandAdvice explains the list form to someone who wrote the command as a string,
// which roll does not split: no shell stands between roll and the command.
func stringCommandAdvice(v any) string {
	if s, isString := v.(string); isString {
		return fmt.Sprintf("%q is a string: write the command as a list (exec form, no shell), such as %s, or [\"sh\", \"-c\", %q] where the container has a shell",
			s, execForm(s), s)
	}
	return fmt.Sprintf("must be a hook, %s; not %s", hookForms, describe(v))
}

func execForm(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		fields[i] = fmt.Sprintf("%q", f)
	}
	return "[" + strings.Join(fields, ", ") + "]"
}
