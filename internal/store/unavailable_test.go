package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Unavailable is the store's absence, wrapped or not: ErrUnavailable or a
// deadline that ran out. A verdict about the data, a cancelled request and
// a bug are not.
func TestUnavailable(t *testing.T) {
	for err, want := range map[error]bool{
		store.ErrUnavailable: true,
		fmt.Errorf("pg: rotate: %w", store.ErrUnavailable):         true,
		fmt.Errorf("sqlite: lookup: %w", context.DeadlineExceeded): true,
		fmt.Errorf("pg: %w", store.ErrNotFound):                    false,
		fmt.Errorf("pg: %w", store.ErrConflict):                    false,
		context.Canceled:                                           false,
		errors.New("nil map"):                                      false,
	} {
		if got := store.Unavailable(err); got != want {
			t.Errorf("Unavailable(%v) = %v, want %v", err, got, want)
		}
	}
	if store.Unavailable(nil) {
		t.Error("Unavailable(nil) = true")
	}
}
