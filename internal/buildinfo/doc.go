// Package buildinfo says which Tollgate is running: the module version the
// Go toolchain stamped into the binary (runtime/debug.ReadBuildInfo), the
// version-control revision and time when the build recorded them, and the
// Go version. `tollgate version` prints it; a start-up log line may carry it.
package buildinfo
