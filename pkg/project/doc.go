// Package project loads a compose project exactly as `docker compose` does and
// reads roll's own settings from its x-roll extensions.
//
// It is the only package of roll that imports compose-go: other packages name
// the compose types through the aliases in compose_types.go.
//
// # Settings
//
// The top-level x-roll names the gateway; a service-level x-roll makes a
// service "rolled": deployed behind the gateway, one container at a time.
//
//	x-roll:
//	  gateway: gateway              # the service that runs `roll gateway` (required once a service is rolled)
//	  admin_port: 9901              # the gateway container's admin port; published or not, roll reaches it
//	  admin_token_env: ROLL_ADMIN_TOKEN  # the gateway's variable holding the admin token (must be set)
//	  engine: auto                  # auto | docker | swarm; auto: swarm on an active Swarm manager, else docker
//	services:
//	  app:
//	    x-roll:
//	      protocol: ajp             # ajp | http
//	      port: 8009                # container port; 8009 for ajp, 8080 for http
//	      paths: [/]                # path prefixes routed to the service
//	      hosts: []                 # host names routed to it; empty means any host
//	      weight: 1                 # 1..100, like mod_jk's lbfactor
//	      ajp_secret_env: AJP_SECRET  # required for ajp: the service's variable holding the connector secret
//	      packet_size: 8192         # ajp only; 8192..65536, equal to the connector's packetSize
//	      sticky_cookie: JSESSIONID
//	      sticky_path_param: jsessionid
//	      session_idle: 30m
//	      ready: {check: request, path: <first path>, timeout: 120s, interval: 1s}  # check: request | cping (ajp) | tcp
//	      drain: {mode: sessions, timeout: 10m}        # mode: sessions | requests | handoff
//	      # handoff: sessions move to the new container through the app's session store:
//	      # drain: {mode: handoff, check: /session-store.jsp, hold: 15s, timeout: 10m}
//	      health: {interval: 5s, timeout: 2s, recover_after: 30s}
//
// Durations are Go durations (500ms, 30s, 10m). Unknown keys are errors. A
// rolled service must not publish a fixed host port, set container_name,
// hostname, a fixed address on a network, network_mode, or scale above one,
// because its old and new containers run side by side during a deploy; and it
// must share a network with the gateway. Load reports every problem at once,
// each as a SettingError naming the file, line and key.
package project
