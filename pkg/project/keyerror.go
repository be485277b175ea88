package project

// KeyError reports a problem with one key of the compose files that another
// package found, located the way Load locates its own: in the file and at the
// line that set the key, such as compose.override.yaml:12 for
// KeyError("is not supported", "services", "app", "build", "ssh").
func (p *Project) KeyError(msg string, key ...string) *SettingError {
	return newLocator(p.WorkingDir, p.ComposeFiles).locate(problem{path: keyPath(key), msg: msg})
}
