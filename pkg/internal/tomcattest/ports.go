package tomcattest

import (
	"fmt"
	"net"
)

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago. They are held open together
// so the kernel cannot hand out the same one twice; another process may still take one before Tomcat binds
// it, which Start handles by retrying with new ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
