package project

import (
	"errors"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// extensionKey is the compose extension that carries roll's settings, at the
// top level and on each rolled service.
const extensionKey = "x-roll"

// readSettings decodes the top-level and service-level x-roll extensions
// strictly, applies the defaults, validates everything against the compose
// model and returns every problem at once, located in the files.
func readSettings(cp *types.Project, loc *locator) (Settings, error) {
	d := &decoder{}
	s := Settings{
		Engine:        EngineAuto,
		AdminPort:     DefaultAdminPort,
		AdminTokenEnv: DefaultAdminTokenEnv,
		Services:      map[string]ServiceSettings{},
	}
	if raw, ok := cp.Extensions[extensionKey]; ok {
		decodeTop(d, raw, &s)
	}
	explicit := map[string]map[string]bool{}
	for _, name := range cp.ServiceNames() {
		raw, ok := cp.Services[name].Extensions[extensionKey]
		if !ok {
			continue
		}
		ss, set := decodeService(d, name, raw)
		s.Services[name] = ss
		explicit[name] = set
	}
	v := validator{d: d, cp: cp, settings: &s, explicit: explicit}
	v.run()
	if len(d.problems) == 0 {
		return s, nil
	}
	errs := make([]error, 0, len(d.problems))
	for _, p := range d.problems {
		errs = append(errs, loc.locate(p))
	}
	return Settings{}, errors.Join(errs...)
}

// decodeTop reads the top-level x-roll.
func decodeTop(d *decoder, raw any, s *Settings) {
	o := d.newObject(keyPath{extensionKey}, raw)
	if o == nil {
		return
	}
	o.string("gateway", &s.Gateway)
	o.int("admin_port", &s.AdminPort, 1, 65535)
	o.envName("admin_token_env", &s.AdminTokenEnv)
	engine := string(s.Engine)
	o.enum("engine", &engine, string(EngineAuto), string(EngineDocker), string(EngineSwarm))
	s.Engine = Engine(engine)
	o.finish()
}

// decodeService reads a service-level x-roll and returns the settings with
// defaults applied, and which keys the file set explicitly (the validator
// refuses some keys that do not fit the protocol).
func decodeService(d *decoder, name string, raw any) (ServiceSettings, map[string]bool) {
	s := defaultServiceSettings(name)
	set := map[string]bool{}
	o := d.newObject(keyPath{"services", name, extensionKey}, raw)
	if o == nil {
		return s, set
	}
	for k := range o.m {
		set[k] = true
	}

	protocol := string(s.Protocol)
	o.enum("protocol", &protocol, string(ProtocolAJP), string(ProtocolHTTP))
	s.Protocol = Protocol(protocol)
	o.int("port", &s.Port, 1, 65535)
	if s.Port == 0 {
		s.Port = DefaultAJPPort
		if s.Protocol == ProtocolHTTP {
			s.Port = DefaultHTTPPort
		}
	}
	s.Paths = []string{DefaultPath}
	o.strings("paths", &s.Paths)
	o.strings("hosts", &s.Hosts)
	o.int("weight", &s.Weight, 1, MaxWeight)
	o.envName("ajp_secret_env", &s.AJPSecretEnv)
	o.int("packet_size", &s.PacketSize, MinPacketSize, MaxPacketSize)
	o.string("sticky_cookie", &s.StickyCookie)
	o.string("sticky_path_param", &s.StickyPathParam)
	o.duration("session_idle", &s.SessionIdle)
	s.Watch, s.Warmup = decodeWatch(o), decodeWarmup(o, s.Paths[0])

	s.Ready.Path = s.Paths[0]
	if r := o.object("ready"); r != nil {
		check := string(s.Ready.Check)
		r.enum("check", &check, string(ReadyRequest), string(ReadyCPing), string(ReadyTCP))
		s.Ready.Check = ReadyCheck(check)
		r.string("path", &s.Ready.Path)
		r.duration("timeout", &s.Ready.Timeout)
		r.duration("interval", &s.Ready.Interval)
		for k := range r.m {
			set["ready."+k] = true
		}
		r.finish()
	}
	if dr := o.object("drain"); dr != nil {
		mode := string(s.Drain.Mode)
		dr.enum("mode", &mode, string(DrainSessions), string(DrainRequests), string(DrainHandoff))
		s.Drain.Mode = DrainMode(mode)
		dr.duration("timeout", &s.Drain.Timeout)
		dr.string("check", &s.Drain.Check)
		dr.duration("hold", &s.Drain.Hold)
		dr.finish()
	}
	s.Hooks = decodeHooks(o)
	s.Canary = decodeCanary(o)
	o.duration("slow_start", &s.SlowStart)
	if s.SlowStart > MaxSlowStart {
		o.d.addf(o.path.child("slow_start"), "%s is longer than %s", s.SlowStart, MaxSlowStart)
	}
	if h := o.object("health"); h != nil {
		h.duration("interval", &s.Health.Interval)
		h.duration("timeout", &s.Health.Timeout)
		h.duration("recover_after", &s.Health.RecoverAfter)
		h.finish()
	}
	o.finish()
	s.Paths = slices.Clip(s.Paths)
	return s, set
}
