package memstore

// TokenRows counts the refresh tokens s keeps for a grant, consumed ones
// included (storetest.Backend.TokenRows).
func TokenRows(s *Store, grantID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tokens {
		if t.GrantID == grantID {
			n++
		}
	}
	return n
}
