package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// SettingError is one problem in the compose files, located in the file that
// sets the key. It wraps ErrInvalidProject.
type SettingError struct {
	// File is the compose file that holds the key, relative to the project
	// directory when it lies inside; when no single file could be named, the
	// list of files.
	File string
	// Line is the key's line in File, or 0 when unknown.
	Line int
	// Key is the full key path, such as services.app.x-roll.drain.mode.
	Key string
	// Message says what is wrong and, where it is not obvious, why.
	Message string
}

// Error renders the problem as file:line: key: message.
func (e *SettingError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Key, e.Message)
}

// Unwrap lets errors.Is(err, ErrInvalidProject) hold.
func (e *SettingError) Unwrap() error { return ErrInvalidProject }

// locator finds which compose file sets a key. The merged model compose-go
// returns has forgotten where each value came from, so each file's YAML is read
// again; the last file that sets the key wins, as in the merge.
type locator struct {
	dir   string
	files []string
	roots []*yaml.Node
}

func newLocator(dir string, files []string) *locator {
	return &locator{dir: dir, files: files}
}

func (l *locator) load() {
	if l.roots != nil {
		return
	}
	l.roots = make([]*yaml.Node, len(l.files))
	for i, f := range l.files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			l.roots[i] = &root
		}
	}
}

// locate turns a problem into a SettingError naming the file and line of the
// deepest part of its key that some file sets.
func (l *locator) locate(p problem) *SettingError {
	l.load()
	e := &SettingError{Key: p.path.String(), Message: p.msg}
	bestDepth, bestFile, bestLine := 0, -1, 0
	for i := len(l.roots) - 1; i >= 0; i-- {
		if l.roots[i] == nil {
			continue
		}
		depth, line := find(l.roots[i], p.path)
		if depth > bestDepth {
			bestDepth, bestFile, bestLine = depth, i, line
		}
	}
	if bestFile < 0 {
		names := make([]string, len(l.files))
		for i, f := range l.files {
			names[i] = l.display(f)
		}
		e.File = strings.Join(names, ", ")
		return e
	}
	e.File, e.Line = l.display(l.files[bestFile]), bestLine
	return e
}

// display shows a file relative to the project directory when it is inside.
func (l *locator) display(file string) string {
	if rel, err := filepath.Rel(l.dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return file
}

// find walks path from the document root and returns how many segments it
// matched and the line of the last matched key.
func find(root *yaml.Node, path keyPath) (depth, line int) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, seg := range path {
		next, at := child(n, seg)
		if next == nil {
			return depth, line
		}
		n, line = next, at
		depth++
	}
	return depth, line
}

// child returns the value under seg and the line where seg is written,
// following aliases and merge keys (<<: *defaults).
func child(n *yaml.Node, seg string) (*yaml.Node, int) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		if !strings.HasPrefix(seg, "[") {
			return nil, 0
		}
		i, err := strconv.Atoi(strings.Trim(seg, "[]"))
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, 0
		}
		return n.Content[i], n.Content[i].Line
	case yaml.MappingNode:
		var merged []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == seg {
				return v, k.Line
			}
			if k.Value == "<<" {
				merged = append(merged, v)
			}
		}
		for _, m := range merged {
			if m.Kind == yaml.SequenceNode {
				for _, item := range m.Content {
					if v, line := child(item, seg); v != nil {
						return v, line
					}
				}
				continue
			}
			if v, line := child(m, seg); v != nil {
				return v, line
			}
		}
	}
	return nil, 0
}
