package sagemaker

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefault(t *testing.T) {
	got := Default()
	assert.Equalf(t, Paths{Root: "/opt/ml"}, got, "Default() = %+v, want %+v", got, Paths{Root: "/opt/ml"})
}

func TestFixedPaths(t *testing.T) {
	tmp := t.TempDir()
	roots := []struct {
		name  string
		paths Paths
		root  string
	}{
		{"zero value", Paths{}, "/opt/ml"},
		{"default", Default(), "/opt/ml"},
		{"overridden", Paths{Root: tmp}, tmp},
	}
	methods := []struct {
		name string
		f    func(Paths) string
		rel  string
	}{
		{"ProcessingJobConfig", Paths.ProcessingJobConfig, "config/processingjobconfig.json"},
		{"ProcessingResourceConfig", Paths.ProcessingResourceConfig, "config/resourceconfig.json"},
		{"Hyperparameters", Paths.Hyperparameters, "input/config/hyperparameters.json"},
		{"ResourceConfig", Paths.ResourceConfig, "input/config/resourceconfig.json"},
		{"InputDataConfig", Paths.InputDataConfig, "input/config/inputdataconfig.json"},
		{"Model", Paths.Model, "model"},
		{"OutputData", Paths.OutputData, "output/data"},
		{"Training.FailurePath", Training.FailurePath, "output/failure"},
		{"Processing.FailurePath", Processing.FailurePath, "output/message"},
	}
	for _, r := range roots {
		for _, m := range methods {
			t.Run(r.name+"/"+m.name, func(t *testing.T) {
				got := m.f(r.paths)
				want := filepath.Join(r.root, m.rel)
				assert.Equalf(t, want, got, "%+v.%s() = %q, want %q", r.paths, m.name, got, want)
			})
		}
	}
}

func TestNamedPaths(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		paths         Paths
		name          string
		wantChannel   string
		wantProcessng string
	}{
		{Default(), "train", "/opt/ml/input/data/train", "/opt/ml/processing/train"},
		{Paths{}, "validation", "/opt/ml/input/data/validation", "/opt/ml/processing/validation"},
		{Paths{Root: tmp}, "input", filepath.Join(tmp, "input/data/input"), filepath.Join(tmp, "processing/input")},
		{Paths{Root: tmp}, "model.v1", filepath.Join(tmp, "input/data/model.v1"), filepath.Join(tmp, "processing/model.v1")},
	}
	for _, tc := range tests {
		got, err := tc.paths.Channel(tc.name)
		require.NoErrorf(t, err, "%+v.Channel(%q)", tc.paths, tc.name)
		assert.Equalf(t, tc.wantChannel, got, "%+v.Channel(%q) = %q, want %q", tc.paths, tc.name, got, tc.wantChannel)

		got, err = tc.paths.Processing(tc.name)
		require.NoErrorf(t, err, "%+v.Processing(%q)", tc.paths, tc.name)
		assert.Equalf(t, tc.wantProcessng, got, "%+v.Processing(%q) = %q, want %q", tc.paths, tc.name, got, tc.wantProcessng)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"train", false},
		{"train-2_b.csv", false},
		{".hidden", false},
		{"", true},
		{".", true},
		{"..", true},
		{"a..b", true},
		{"../etc", true},
		{"a/b", true},
		{"/abs", true},
		{`a\b`, true},
	}
	p := Paths{Root: t.TempDir()}
	for _, tc := range tests {
		err := ValidName(tc.name)
		assert.Equalf(t, tc.wantErr, err != nil, "ValidName(%q) = %v, want error: %v", tc.name, err, tc.wantErr)

		// Channel and Processing must reject exactly what ValidName rejects
		// and return no path alongside the error.
		got, err := p.Channel(tc.name)
		if assert.Equalf(t, tc.wantErr, err != nil, "Channel(%q) error = %v, want error: %v", tc.name, err, tc.wantErr) && tc.wantErr {
			assert.Emptyf(t, got, "Channel(%q) = %q, want empty path on error", tc.name, got)
		}
		got, err = p.Processing(tc.name)
		if assert.Equalf(t, tc.wantErr, err != nil, "Processing(%q) error = %v, want error: %v", tc.name, err, tc.wantErr) && tc.wantErr {
			assert.Emptyf(t, got, "Processing(%q) = %q, want empty path on error", tc.name, got)
		}
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{Training, "training"},
		{Processing, "processing"},
		{Kind(7), "Kind(7)"},
	}
	for _, tc := range tests {
		got := tc.kind.String()
		assert.Equalf(t, tc.want, got, "Kind(%d).String() = %q, want %q", int(tc.kind), got, tc.want)
	}
}

func TestZeroKindIsTraining(t *testing.T) {
	var k Kind
	assert.Equalf(t, Training, k, "Kind zero value = %v, want %v", k, Training)
}

func TestUnknownKindFailurePath(t *testing.T) {
	p := Paths{Root: t.TempDir()}
	got := Kind(7).FailurePath(p)
	want := Training.FailurePath(p)
	assert.Equalf(t, want, got, "Kind(7).FailurePath(%+v) = %q, want %q", p, got, want)
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{RootEnv: "/tmp/run/job/algo-1"}
	assert.Equal(t, Paths{Root: "/tmp/run/job/algo-1"}, FromEnv(func(k string) string { return env[k] }))
	assert.Equal(t, Default(), FromEnv(func(string) string { return "" }))
}
