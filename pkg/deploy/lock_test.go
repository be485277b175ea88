package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLockRefusesASecondHolderAndSaysWho(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, err := AcquireLock(ctx, dir, "p", "app", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(ctx, dir, "p", "app", 0)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second lock: %v, want ErrLocked naming the holder", err)
	}
	other, err := AcquireLock(ctx, dir, "p", "db", 0)
	if err != nil {
		t.Fatalf("another service must not be blocked: %v", err)
	}
	other.Release()

	got := make(chan error, 1)
	go func() {
		l, err := AcquireLock(ctx, dir, "p", "app", time.Minute)
		if err == nil {
			l.Release()
		}
		got <- err
	}()
	first.Release()
	if err := <-got; err != nil {
		t.Fatalf("a waiting deploy should get the lock once it is released: %v", err)
	}
}
