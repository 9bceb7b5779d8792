package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what the binary knows about its own build.
type Info struct {
	// Version is the module version: "v1.2.3" (or a pseudo-version) for a
	// binary from `go install …@version`, "(devel)" for one built inside a
	// checkout, "unknown" when the binary carries no build information.
	Version string
	// Revision and Time are the VCS commit and its time (RFC 3339), present
	// when the build stamped them (go build in a git checkout, without
	// -buildvcs=false); Modified says the work tree had uncommitted changes.
	Revision string
	Time     string
	Modified bool
	// Go is the toolchain that built the binary.
	Go string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", Go: runtime.Version()}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Version: bi.Main.Version, Go: bi.GoVersion}
	if in.Version == "" {
		in.Version = "unknown"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is one line: "tollgate v1.2.3 (revision 0123abcd…, 2026-01-02T03:04:05Z, modified) go1.26.8".
// Parts the build did not record are left out.
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tollgate %s", in.Version)
	var vcs []string
	if in.Revision != "" {
		vcs = append(vcs, "revision "+in.Revision)
	}
	if in.Time != "" {
		vcs = append(vcs, in.Time)
	}
	if in.Modified {
		vcs = append(vcs, "modified")
	}
	if len(vcs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(vcs, ", "))
	}
	fmt.Fprintf(&b, " %s", in.Go)
	return b.String()
}
