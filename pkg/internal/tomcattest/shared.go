package tomcattest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// registry holds the instances started by Shared, for Main to stop.
var registry struct {
	mu        sync.Mutex
	inMain    bool
	instances map[Options]*sharedInstance
}

// sharedInstance starts once; every test asking for the same Options gets the same result.
type sharedInstance struct {
	once sync.Once
	dir  string
	tc   *Tomcat
	err  error
}

// Shared returns a Tomcat for opts that every test of the package asking for the same opts shares; the
// first caller starts it (a test that only reads it pays nothing). It lives until Main's m.Run returns, so
// the package's TestMain must call Main. A test that stops, kills or restarts Tomcat, or changes what it
// serves, must use Start instead: others rely on a shared instance. Options with an empty Secret still
// name one instance, whose random secret Tomcat.Secret returns.
func Shared(t testing.TB, opts Options) *Tomcat {
	t.Helper()
	Require(t)
	registry.mu.Lock()
	if !registry.inMain {
		registry.mu.Unlock()
		t.Fatal("tomcattest: Shared needs the package's TestMain to call tomcattest.Main(m)")
	}
	if registry.instances == nil {
		registry.instances = make(map[Options]*sharedInstance)
	}
	si := registry.instances[opts]
	if si == nil {
		si = &sharedInstance{}
		registry.instances[opts] = si
	}
	registry.mu.Unlock()

	// Started outside the registry lock: instances with other options can start at the same time.
	si.once.Do(func() {
		si.dir, si.err = os.MkdirTemp("", "tomcattest-")
		if si.err != nil {
			si.err = fmt.Errorf("creating CATALINA_BASE: %w", si.err)
			return
		}
		si.tc, si.err = start(opts, si.dir)
	})
	if si.err != nil {
		t.Fatalf("tomcattest: shared instance: %v", si.err)
	}
	return si.tc
}

// Main runs the package's tests and then kills every instance Shared started and removes its files.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { tomcattest.Main(m) }
//
// The test binary exits with m.Run's code when TestMain returns.
func Main(m *testing.M) {
	registry.mu.Lock()
	registry.inMain = true
	registry.mu.Unlock()

	defer stopShared()
	m.Run()
}

// stopShared kills the shared instances in parallel and removes their CATALINA_BASEs.
func stopShared() {
	registry.mu.Lock()
	instances := registry.instances
	registry.instances = nil
	registry.mu.Unlock()

	var wg sync.WaitGroup
	for _, si := range instances {
		wg.Go(func() {
			si.once.Do(func() {}) // wait for a start still in progress
			if si.tc != nil {
				si.tc.Kill()
			}
			if si.dir != "" {
				_ = os.RemoveAll(si.dir) // best effort: a leftover temp dir is not worth failing the run
			}
		})
	}
	wg.Wait()
}
