package modelio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/monitor"
)

// baselineFiles returns a schema of two numeric features and the baseline
// files of two rows of it.
func baselineFiles(t *testing.T) (schemaJSON, statistics, constraints string) {
	t.Helper()
	schemaJSON = `{"columns": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}, {"name": "y", "type": "numeric"}],
		"target": "y", "task": "regression", "header": true}`
	s, err := dataset.Parse([]byte(schemaJSON))
	require.NoError(t, err)
	csv := filepath.Join(t.TempDir(), "d.csv")
	require.NoError(t, os.WriteFile(csv, []byte("a,b,y\n1,2,3\n4,5,6\n"), 0o644))
	table := features.NewTable(s)
	require.NoError(t, table.ReadFile(csv))
	b := monitor.NewBaseline(table, []int{0, 1}, 1)
	var st, c bytes.Buffer
	require.NoError(t, b.Statistics.WriteJSON(&st))
	require.NoError(t, b.Constraints.WriteJSON(&c))
	return schemaJSON, st.String(), c.String()
}

func TestLoadBaseline(t *testing.T) {
	schema, stats, cons := baselineFiles(t)
	dir := fixtureDir(t, map[string]string{SchemaFile: schema, StatisticsFile: stats, ConstraintsFile: cons})
	var archive bytes.Buffer
	require.NoError(t, WriteArchive(&archive, dir))
	tarFile := filepath.Join(t.TempDir(), ArchiveFile)
	require.NoError(t, os.WriteFile(tarFile, archive.Bytes(), 0o644))
	for _, path := range []string{dir, tarFile} {
		b, err := Load(path)
		require.NoError(t, err, path)
		require.NotNil(t, b.Baseline, path)
		assert.Equal(t, []string{"a", "b"}, []string{b.Baseline.Statistics.Features[0].Name, b.Baseline.Statistics.Features[1].Name}, path)
		assert.Equal(t, monitor.DefaultMonitoringConfig, b.Baseline.Constraints.MonitoringConfig, path)
	}
	b, err := Load(fixtureDir(t, map[string]string{SchemaFile: schema}))
	require.NoError(t, err)
	assert.Nil(t, b.Baseline, "a model without baseline files has none")
}

func TestLoadRejectsBadBaselines(t *testing.T) {
	schema, stats, cons := baselineFiles(t)
	other := `{"columns": [{"name": "a", "type": "numeric"}, {"name": "c", "type": "categorical"}, {"name": "y", "type": "numeric"}],
		"target": "y", "task": "regression", "header": true}`
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"statistics alone", map[string]string{SchemaFile: schema, StatisticsFile: stats}, "statistics.json and constraints.json come together, only one is there"},
		{"constraints alone", map[string]string{SchemaFile: schema, ConstraintsFile: cons}, "statistics.json and constraints.json come together, only one is there"},
		{"no schema", map[string]string{StatisticsFile: stats, ConstraintsFile: cons}, "statistics.json without schema.json"},
		{"bad statistics", map[string]string{SchemaFile: schema, StatisticsFile: `{"version": 9}`, ConstraintsFile: cons}, "statistics.json: version = 9; valid: 0"},
		{"another schema", map[string]string{SchemaFile: other, StatisticsFile: stats, ConstraintsFile: cons}, `statistics.json has no feature "c"`},
	} {
		_, err := Load(fixtureDir(t, tt.files))
		assert.ErrorContains(t, err, tt.want, tt.name)
	}
}

func TestBaselineFilesHaveLimits(t *testing.T) {
	for _, name := range []string{StatisticsFile, ConstraintsFile} {
		dir := fixtureDir(t, nil)
		f, err := os.Create(filepath.Join(dir, name)) // sparse
		require.NoError(t, err)
		require.NoError(t, f.Truncate(MaxBaselineFileBytes+1))
		require.NoError(t, f.Close())
		_, err = Load(dir)
		assert.ErrorContains(t, err, name+" is 67108865 bytes; valid: at most 67108864 bytes (64 MiB)")
	}
}
