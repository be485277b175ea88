package ajp

// SetTestHookPooled makes f run each time an exchange has put its connection back in the pool,
// and returns what restores the hook before it.
func SetTestHookPooled(f func()) (restore func()) {
	before := testHookPooled
	testHookPooled = f
	return func() { testHookPooled = before }
}
