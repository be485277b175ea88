package commands

// Exit codes, documented in the README. They are decided here and nowhere else.
const (
	ExitOK          = 0   // success
	ExitError       = 1   // any other failure
	ExitUsage       = 2   // wrong flag or argument
	ExitProject     = 3   // the compose project or roll's settings are invalid
	ExitLocked      = 4   // another deploy of the same service is running
	ExitStart       = 5   // the new container could not be created or started
	ExitNotReady    = 6   // the new container never became ready: rolled back, old still serving
	ExitSwitch      = 7   // the gateway refused or failed the switch: rolled back, old still serving
	ExitGateway     = 8   // the gateway's admin API is unreachable or refused the token
	ExitDocker      = 9   // the Docker engine is unreachable or failed
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM): the old version is still serving
)
