package ajp

import (
	"io"
	"log/slog"
)

// quietLogger keeps expected warnings out of test output.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
