//go:build race

package mint

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back on purpose, so a pooled object's allocation shows up in
// AllocsPerRun; the allocation tests of pooled paths skip.
const raceEnabled = true
