package events

import (
	"errors"
	"testing"
)

// wantCode fails the test unless err is an *Error with the given code
// (want == "" means err must be nil).
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error with code %s", err, err, want)
	}
	if e.Code() != want {
		t.Fatalf("code = %s, want %s (error: %v)", e.Code(), want, err)
	}
}
