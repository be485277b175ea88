package project

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHooksBothForms(t *testing.T) {
	xr := `ajp_secret_env: AJP_SECRET
hooks:
  pre_switch:
    - ["/goapp", "check", "/health"]
    - {command: ["./smoke.sh", "--quick"], run: local, timeout: 2m}
  post_deploy:
    - command: ["/warm"]
      each: true
      timeout: 5s`
	p := mustLoad(t, map[string]string{"compose.yaml": rolled(xr, "", "")}, Options{})
	s, _ := p.Rolled("app")
	want := HookSettings{
		PreSwitch: []Hook{
			{Run: HookInContainer, Command: []string{"/goapp", "check", "/health"}, Timeout: DefaultHookTimeout},
			{Run: HookLocal, Command: []string{"./smoke.sh", "--quick"}, Timeout: 2 * time.Minute},
		},
		PostDeploy: []Hook{{Run: HookInContainer, Command: []string{"/warm"}, Timeout: 5 * time.Second, Each: true}},
	}
	if !reflect.DeepEqual(s.Hooks, want) {
		t.Errorf("hooks =\n%+v\nwant\n%+v", s.Hooks, want)
	}
}

func TestHooksErrorLocatesFileAndLine(t *testing.T) {
	xr := "ajp_secret_env: AJP_SECRET\nhooks:\n  pre_switch:\n    - {command: [/migrate], run: remote}"
	_, _, err := loadDir(t, map[string]string{"compose.yaml": rolled(xr, "", "")}, Options{})
	want := `compose.yaml:15: services.app.x-roll.hooks.pre_switch[0].run: "remote" is not one of container, local`
	if err == nil || err.Error() != want || !errors.Is(err, ErrInvalidProject) {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
}

func TestHooksValidation(t *testing.T) {
	hooks := func(body string) string {
		return rolled("ajp_secret_env: AJP_SECRET\nhooks:\n"+indent(body, "  "), "", "")
	}
	const at = "services.app.x-roll.hooks"
	tests := []struct{ name, compose, key, contains string }{
		{"not a mapping", rolled("ajp_secret_env: AJP_SECRET\nhooks: [a]", "", ""), at, "must be a mapping"},
		{"unknown step", hooks("pre_deploy: []"), at + ".pre_deploy", "keys of " + at + " are post_deploy, pre_switch"},
		{"not a list", hooks("pre_switch: {command: [a]}"), at + ".pre_switch", "must be a list of hooks"},
		{"a string", hooks("pre_switch: [\"/app/migrate --check\"]"), at + ".pre_switch[0]", `write the command as a list (exec form, no shell), such as ["/app/migrate", "--check"]`},
		{"a string command", hooks("post_deploy:\n  - {command: \"curl -f x\"}"), at + ".post_deploy[0].command", "is a string"},
		{"empty command", hooks("pre_switch: [[]]"), at + ".pre_switch[0]", "is empty"},
		{"command item", hooks("pre_switch: [[/a, 1]]"), at + ".pre_switch[0][1]", "non-empty string"},
		{"no command", hooks("pre_switch:\n  - {run: local}"), at + ".pre_switch[0].command", "is required"},
		{"run", hooks("pre_switch:\n  - {command: [a], run: ssh}"), at + ".pre_switch[0].run", "container, local"},
		{"timeout", hooks("pre_switch:\n  - {command: [a], timeout: 2h}"), at + ".pre_switch[0].timeout", "longer than 1h0m0s"},
		{"timeout unit", hooks("pre_switch:\n  - {command: [a], timeout: 30}"), at + ".pre_switch[0].timeout", "duration"},
		{"each local", hooks("post_deploy:\n  - {command: [a], run: local, each: true}"), at + ".post_deploy[0].each", "only applies to run: container"},
		{"each", hooks("post_deploy:\n  - {command: [a], each: always}"), at + ".post_deploy[0].each", "true or false"},
		{"unknown hook key", hooks("post_deploy:\n  - {cmd: [a]}"), at + ".post_deploy[0].cmd", "keys of " + at + ".post_deploy[0] are command, each, run, timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadDir(t, map[string]string{"compose.yaml": tt.compose}, Options{})
			if !errors.Is(err, ErrInvalidProject) {
				t.Fatalf("err = %v, want ErrInvalidProject", err)
			}
			for _, se := range settingErrors(t, err) {
				if se.Key == tt.key {
					if msg := se.Error(); !strings.HasPrefix(msg, "compose.yaml:") || !strings.Contains(msg, tt.contains) {
						t.Errorf("error %q\nwant the file and line and %q", msg, tt.contains)
					}
					return
				}
			}
			t.Fatalf("no error names %s:\n%v", tt.key, err)
		})
	}
}
