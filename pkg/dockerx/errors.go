package dockerx

import (
	"errors"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/rollcd/roll/pkg/project"
)

// Sentinels callers branch on. Every error of this package that means one of
// them wraps it, so errors.Is works through the added context.
var (
	// ErrNoEngine means the Docker engine could not be reached at all.
	ErrNoEngine = errors.New("docker engine unreachable")
	// ErrNotFound means a container, image, network or volume does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported means the compose file asks for something roll cannot
	// honour; the message names the key.
	ErrUnsupported = errors.New("unsupported")
	// ErrConflict means an engine object exists but is not the project's
	// (a network or volume of another project with the same name).
	ErrConflict = errors.New("conflict")
	// ErrExited means a container stopped while roll waited for it to run.
	ErrExited = errors.New("container exited")
	// ErrUnhealthy means a container's healthcheck reported unhealthy.
	ErrUnhealthy = errors.New("container unhealthy")
	// ErrNotPublished means a container port has no host binding.
	ErrNotPublished = errors.New("port not published")
	// ErrBuild means an image build failed; the message holds the build's last output.
	ErrBuild = errors.New("image build failed")
)

// tagged is an error with its own message that also matches a sentinel (and
// its cause, if any), so the text reads naturally without the sentinel's.
type tagged struct {
	msg      string
	sentinel error
	cause    error
}

func (t *tagged) Error() string {
	if t.cause == nil {
		return t.msg
	}
	return t.msg + ": " + t.cause.Error()
}

func (t *tagged) Unwrap() []error {
	if t.cause == nil {
		return []error{t.sentinel}
	}
	return []error{t.sentinel, t.cause}
}

// engineError wraps an error from the engine API with what roll was doing,
// and adds ErrNotFound when the engine said the object does not exist.
func engineError(doing string, err error) error {
	if err == nil {
		return nil
	}
	if errdefs.IsNotFound(err) {
		return &tagged{msg: doing, sentinel: ErrNotFound, cause: err}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// unsupported reports a compose key roll cannot honour.
func unsupported(service, key, why string) error {
	return &tagged{msg: fmt.Sprintf("service %s: %s is not supported: %s", service, key, why), sentinel: ErrUnsupported}
}

// unsupportedSetting is a located compose key roll cannot honour: it reads as the
// project's SettingError (file:line: key: why) and matches ErrUnsupported too.
type unsupportedSetting struct{ *project.SettingError }

func (u unsupportedSetting) Unwrap() []error { return []error{ErrUnsupported, u.SettingError} }

// noEngine reports that the engine cannot be used at all.
func noEngine(msg string, cause error) error {
	return &tagged{msg: msg, sentinel: ErrNoEngine, cause: cause}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
