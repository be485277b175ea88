package dockerx

import (
	"errors"
	"reflect"

	"github.com/rollcd/roll/pkg/project"
)

// buildKeys are the keys of a service's build section that BuildImage honours;
// any other key that is set is refused, since the classic builder would
// silently build something else.
var buildKeys = map[string]bool{"context": true, "dockerfile": true, "args": true, "target": true, "labels": true}

// buildKeyWhy explains the refusal of the build keys people are likely to meet;
// any other key gets the generic reason.
var buildKeyWhy = map[string]string{
	"ssh":                 "the classic builder cannot forward an SSH agent",
	"secrets":             "the classic builder cannot mount build secrets",
	"additional_contexts": "the classic builder takes a single build context",
	"dockerfile_inline":   "write the Dockerfile to a file and name it under dockerfile",
	"platforms":           "the classic builder builds for the engine's own platform only",
}

// CheckBuild refuses every key of service's build section b that BuildImage cannot
// honour, each error naming the compose file and line that set it, the service
// and the key. It walks the compose-go struct itself, so a build key that
// compose-go learns later is refused until someone maps it, never silently
// dropped. The errors match both ErrUnsupported and project.ErrInvalidProject.
func CheckBuild(p *project.Project, service string, b project.BuildConfig) error {
	var errs []error
	walkKeys(reflect.ValueOf(b), func(key string, v reflect.Value) {
		if buildKeys[key] || isEmpty(v) {
			return
		}
		why := buildKeyWhy[key]
		if why == "" {
			why = "roll builds with the engine's classic builder, which cannot honour it"
		}
		msg := "is not supported: " + why + "; build the image with docker compose build and deploy it without --build"
		errs = append(errs, unsupportedSetting{p.KeyError(msg, "services", service, "build", key)})
	})
	return errors.Join(errs...)
}
