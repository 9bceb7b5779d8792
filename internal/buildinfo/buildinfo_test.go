package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestStringNamesWhatTheBuildRecorded(t *testing.T) {
	for _, tc := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}},
			"tollgate v1.4.0 go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "b582f92"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}},
			"tollgate (devel) (revision b582f92, 2026-01-02T03:04:05Z, modified) go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "false"}}},
			"tollgate unknown go1.26.8"},
	} {
		if got := fromBuildInfo(&tc.bi).String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestReadInTestBinary(t *testing.T) {
	in := Read()
	if in.Go == "" || in.Version == "" {
		t.Fatalf("Read() = %+v: Go version and module version must be set", in)
	}
}
