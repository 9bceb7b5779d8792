// Package testlog is the log sink tests hand to a server they run: a
// buffer safe for the server's goroutines to write while the test reads
// it (to find a line, or to check that no secret was ever logged). Only
// tests import it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer collects what is written to it, for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reset forgets everything written so far.
func (s *Buffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
