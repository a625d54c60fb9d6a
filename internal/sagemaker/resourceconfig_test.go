package sagemaker

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadResourceConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resourceconfig.json")
	got, err := ReadResourceConfig(path)
	require.NoErrorf(t, err, "ReadResourceConfig(%q)", path)
	want := ResourceConfig{CurrentHost: "algo-1", Hosts: []string{"algo-1"}}
	assert.Equalf(t, want, got, "ReadResourceConfig(%q) = %+v, want %+v", path, got, want)
	assert.Equalf(t, 0, got.HostIndex(), "HostIndex() = %d, want 0", got.HostIndex())
	assert.Equalf(t, 1, got.HostCount(), "HostCount() = %d, want 1", got.HostCount())
}

func TestReadResourceConfigValid(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		want      ResourceConfig
		wantIndex int
		wantCount int
	}{
		{
			name:      "single host",
			content:   `{"current_host": "algo-1", "hosts": ["algo-1"]}`,
			want:      ResourceConfig{CurrentHost: "algo-1", Hosts: []string{"algo-1"}},
			wantIndex: 0,
			wantCount: 1,
		},
		{
			name: "training multi-host",
			content: `{
				"current_host": "algo-2",
				"current_instance_type": "ml.m5.xlarge",
				"current_group_name": "homogeneousCluster",
				"hosts": ["algo-1", "algo-2", "algo-3"],
				"instance_groups": [{"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.xlarge", "hosts": ["algo-1", "algo-2", "algo-3"]}],
				"network_interface_name": "eth0"
			}`,
			want: ResourceConfig{
				CurrentHost:          "algo-2",
				Hosts:                []string{"algo-1", "algo-2", "algo-3"},
				CurrentInstanceType:  "ml.m5.xlarge",
				NetworkInterfaceName: "eth0",
			},
			wantIndex: 1,
			wantCount: 3,
		},
		{
			name:      "order as given, not sorted",
			content:   `{"current_host": "algo-10", "hosts": ["algo-1", "algo-2", "algo-10"]}`,
			want:      ResourceConfig{CurrentHost: "algo-10", Hosts: []string{"algo-1", "algo-2", "algo-10"}},
			wantIndex: 2,
			wantCount: 3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "resourceconfig.json", tc.content)
			got, err := ReadResourceConfig(path)
			require.NoErrorf(t, err, "ReadResourceConfig(%s)", tc.content)
			assert.Equalf(t, tc.want, got, "ReadResourceConfig(%s) = %+v, want %+v", tc.content, got, tc.want)
			assert.Equalf(t, tc.wantIndex, got.HostIndex(), "%+v.HostIndex() = %d, want %d", got, got.HostIndex(), tc.wantIndex)
			assert.Equalf(t, tc.wantCount, got.HostCount(), "%+v.HostCount() = %d, want %d", got, got.HostCount(), tc.wantCount)
		})
	}
}

func TestReadResourceConfigInvalid(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantText string // extra text the error must contain, if any
	}{
		{"current host not in hosts", `{"current_host": "algo-3", "hosts": ["algo-1", "algo-2"]}`, `"algo-3"`},
		{"no hosts", `{"current_host": "algo-1", "hosts": []}`, `"algo-1"`},
		{"hosts missing", `{"current_host": "algo-1"}`, `"algo-1"`},
		{"current host missing", `{"hosts": ["algo-1"]}`, "current_host"},
		{"duplicate host", `{"current_host": "algo-1", "hosts": ["algo-1", "algo-1"]}`, "more than once"},
		{"null", `null`, "current_host"},
		{"malformed", `{"current_host": "algo-1", `, ""},
		{"wrong type", `{"current_host": "algo-1", "hosts": "algo-1"}`, ""},
		{"empty file", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "resourceconfig.json", tc.content)
			got, err := ReadResourceConfig(path)
			require.Errorf(t, err, "ReadResourceConfig(%s) = %+v, want error", tc.content, got)
			assert.Zerof(t, got, "ReadResourceConfig(%s) = %+v, want zero value on error", tc.content, got)
			assert.Containsf(t, err.Error(), path, "ReadResourceConfig(%s) error = %q, want it to name the file", tc.content, err)
			if tc.wantText != "" {
				assert.Containsf(t, err.Error(), tc.wantText, "ReadResourceConfig(%s) error = %q, want it to contain %s", tc.content, err, tc.wantText)
			}
		})
	}
}

func TestReadResourceConfigUnreadable(t *testing.T) {
	path := t.TempDir()
	got, err := ReadResourceConfig(path)
	assert.Errorf(t, err, "ReadResourceConfig(%q) = %+v, want error", path, got)
}

func TestHostIndexNotInHosts(t *testing.T) {
	tests := []ResourceConfig{
		{},
		{CurrentHost: "algo-3", Hosts: []string{"algo-1", "algo-2"}},
	}
	for _, c := range tests {
		got := c.HostIndex()
		assert.Equalf(t, -1, got, "%+v.HostIndex() = %d, want -1", c, got)
	}
}
