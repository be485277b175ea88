package project

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// keyPath is the path of a key in the compose model, one segment per mapping
// key; sequence indexes are segments of the form "[2]". Service names may hold
// dots, so paths are kept as segments and joined only for people.
type keyPath []string

// String renders the path as people write it: services.app.x-roll.paths[0].
func (k keyPath) String() string {
	var b strings.Builder
	for i, seg := range k {
		if i > 0 && !strings.HasPrefix(seg, "[") {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// child returns a new path one segment deeper, never sharing k's array.
func (k keyPath) child(seg string) keyPath {
	return append(slices.Clip(k), seg)
}

// problem is one thing wrong in the compose files, before it is located.
type problem struct {
	path keyPath
	msg  string
}

// decoder collects every problem instead of stopping at the first, so that a
// person fixes the files in one round.
type decoder struct {
	problems []problem
}

func (d *decoder) addf(path keyPath, format string, args ...any) {
	d.problems = append(d.problems, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

// object is a mapping being decoded strictly: every key that is read is
// recorded, and finish reports the ones nobody asked for.
type object struct {
	d     *decoder
	path  keyPath
	m     map[string]any
	known []string
}

// newObject checks that v is a mapping. A null value (`x-roll:` with nothing
// after it) is an empty mapping.
func (d *decoder) newObject(path keyPath, v any) *object {
	switch m := v.(type) {
	case nil:
		return &object{d: d, path: path, m: map[string]any{}}
	case map[string]any:
		return &object{d: d, path: path, m: m}
	default:
		d.addf(path, "must be a mapping of keys, not %s", describe(v))
		return nil
	}
}

// value marks key as known and returns its value and whether it is set.
func (o *object) value(key string) (any, bool) {
	o.known = append(o.known, key)
	v, ok := o.m[key]
	return v, ok && v != nil
}

// object returns the nested mapping at key, or nil when it is absent or wrong.
func (o *object) object(key string) *object {
	v, ok := o.value(key)
	if !ok {
		return nil
	}
	return o.d.newObject(o.path.child(key), v)
}

func (o *object) string(key string, dst *string) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	s, isString := v.(string)
	if !isString || s == "" {
		o.d.addf(o.path.child(key), "must be a non-empty string, not %s", describe(v))
		return
	}
	*dst = s
}

// enum reads a string that must be one of allowed.
func (o *object) enum(key string, dst *string, allowed ...string) {
	var s string
	o.string(key, &s)
	if s == "" {
		return
	}
	if !slices.Contains(allowed, s) {
		o.d.addf(o.path.child(key), "%q is not one of %s", s, strings.Join(allowed, ", "))
		return
	}
	*dst = s
}

// int reads an integer in [lo, hi]. Interpolated values arrive as strings, so
// a string of digits is an integer too.
func (o *object) int(key string, dst *int, lo, hi int) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	n, isInt := asInt(v)
	if !isInt {
		o.d.addf(o.path.child(key), "must be a whole number, not %s", describe(v))
		return
	}
	if n < lo || n > hi {
		o.d.addf(o.path.child(key), "%d is out of range: it must be between %d and %d", n, lo, hi)
		return
	}
	*dst = n
}

// duration reads a Go duration ("90s", "1m30s", "10m") that must be positive.
func (o *object) duration(key string, dst *time.Duration) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	s, isString := v.(string)
	if !isString {
		o.d.addf(o.path.child(key), "must be a duration with a unit such as 500ms, 30s or 10m, not %s", describe(v))
		return
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		o.d.addf(o.path.child(key), "%q is not a duration: write a number with a unit such as 500ms, 30s or 10m", s)
		return
	}
	if dur <= 0 {
		o.d.addf(o.path.child(key), "%q must be longer than zero", s)
		return
	}
	*dst = dur
}

// strings reads a list of non-empty strings; a single string is a list of one.
func (o *object) strings(key string, dst *[]string) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	var items []any
	switch t := v.(type) {
	case string:
		items = []any{t}
	case []any:
		items = t
	default:
		o.d.addf(o.path.child(key), "must be a list of strings, not %s", describe(v))
		return
	}
	if len(items) == 0 {
		o.d.addf(o.path.child(key), "must not be empty: leave the key out to use the default")
		return
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, isString := item.(string)
		if !isString || s == "" {
			o.d.addf(o.path.child(key).child(fmt.Sprintf("[%d]", i)), "must be a non-empty string, not %s", describe(item))
			continue
		}
		out = append(out, s)
	}
	if len(out) == len(items) {
		*dst = out
	}
}

// bool reads true or false; interpolated values arrive as the strings "true" and "false".
func (o *object) bool(key string, dst *bool) {
	v, ok := o.value(key)
	if !ok {
		return
	}
	switch t := v.(type) {
	case bool:
		*dst = t
	case string:
		if t == "true" || t == "false" {
			*dst = t == "true"
			return
		}
		o.d.addf(o.path.child(key), "must be true or false, not %s", describe(v))
	default:
		o.d.addf(o.path.child(key), "must be true or false, not %s", describe(v))
	}
}

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envName reads the name of an environment variable.
func (o *object) envName(key string, dst *string) {
	var s string
	o.string(key, &s)
	if s == "" {
		return
	}
	if !envNamePattern.MatchString(s) {
		o.d.addf(o.path.child(key), "%q is not an environment variable name (letters, digits and _, not starting with a digit)", s)
		return
	}
	*dst = s
}

// finish reports every key of the mapping that no reader asked for.
func (o *object) finish() {
	var unknown []string
	for k := range o.m {
		if !slices.Contains(o.known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	known := slices.Clone(o.known)
	slices.Sort(known)
	for _, k := range unknown {
		o.d.addf(o.path.child(k), "unknown key; the keys of %s are %s", o.path, strings.Join(known, ", "))
	}
}

// asInt accepts the integer forms a YAML decoder and interpolation produce.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint64:
		if n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		return i, err == nil
	}
	return 0, false
}

// describe names a value and its type for an error message.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", t)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return fmt.Sprintf("the boolean %t", t)
	default:
		return fmt.Sprintf("%v", t)
	}
}
