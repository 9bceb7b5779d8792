package mint

import "testing"

// The refresh token work of one refresh grant, piece by piece:
//
//	go test -run '^$' -bench 'Successor|HashToken|OpenNamed' -benchmem ./internal/mint/
func BenchmarkSuccessor(b *testing.B) {
	k := testRefreshKeys()
	presented, _ := k.First(NewID())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Successor("Zm9vYmFyYmF6cXV4cXV1eA", 42, presented); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashToken(b *testing.B) {
	k := testRefreshKeys()
	tok, _ := k.First(NewID())
	b.ReportAllocs()
	for b.Loop() {
		HashToken(tok)
	}
}
