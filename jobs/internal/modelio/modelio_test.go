package modelio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/dataset"
	"github.com/mlpipeline-go/mlpipeline/jobs/internal/features"
)

// fixtureDir returns a model directory holding one of the XGBoost fixtures
// as ModelFile, plus extra files.
func fixtureDir(t testing.TB, extra map[string]string) string {
	t.Helper()
	model, err := os.ReadFile(filepath.Join("..", "gbt", "testdata", "xgboost-fixture", "regression-model.json"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ModelFile), model, 0o644))
	for name, content := range extra {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func TestLoadDirectoryArchiveAndNestedArchive(t *testing.T) {
	dir := fixtureDir(t, map[string]string{MetadataFile: `{"objective": "reg:squarederror", "num_trees": 50}`})
	var archive bytes.Buffer
	require.NoError(t, WriteArchive(&archive, dir))
	var again bytes.Buffer
	require.NoError(t, WriteArchive(&again, dir))
	assert.Equal(t, archive.Bytes(), again.Bytes(), "the same files give the same archive bytes")

	tarFile := filepath.Join(t.TempDir(), ArchiveFile)
	require.NoError(t, os.WriteFile(tarFile, archive.Bytes(), 0o644))
	for name, path := range map[string]string{"directory": dir, "archive": tarFile, "directory with archive": filepath.Dir(tarFile)} {
		b, err := Load(path)
		require.NoError(t, err, name)
		assert.Equal(t, 10, b.Model.NumFeatures(), name)
		assert.Nil(t, b.Preprocessor, "%s: a bare model has no preprocessor", name)
		require.NotNil(t, b.Metadata, name)
		assert.Equal(t, 50, b.Metadata.NumTrees, name)
	}
}

func TestLoadBuiltinModelName(t *testing.T) {
	dir := fixtureDir(t, nil)
	require.NoError(t, os.Rename(filepath.Join(dir, ModelFile), filepath.Join(dir, BuiltinModelFile)))
	b, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, 50, b.Model.NumTrees())
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{"empty directory", func(t *testing.T) string { return t.TempDir() }, "no model.json (nor xgboost-model) found"},
		{"not gzip", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), ArchiveFile)
			require.NoError(t, os.WriteFile(p, []byte("plain text"), 0o644))
			return p
		}, "model.tar.gz is not a gzip archive"},
		{"truncated archive", func(t *testing.T) string {
			var archive bytes.Buffer
			require.NoError(t, WriteArchive(&archive, fixtureDir(t, nil)))
			p := filepath.Join(t.TempDir(), ArchiveFile)
			require.NoError(t, os.WriteFile(p, archive.Bytes()[:archive.Len()/2], 0o644))
			return p
		}, "model.tar.gz is truncated or corrupted"},
		{"preprocessor without schema", func(t *testing.T) string {
			return fixtureDir(t, map[string]string{PreprocessorFile: "{}"})
		}, "preprocessor.json without schema.json"},
		{"bad schema", func(t *testing.T) string {
			return fixtureDir(t, map[string]string{SchemaFile: `{"columns": []}`})
		}, "schema.json:"},
		{"bad metadata", func(t *testing.T) string {
			return fixtureDir(t, map[string]string{MetadataFile: `[`})
		}, "metadata.json:"},
		{"missing path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.setup(t)
			_, err := Load(path)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "model "+path+": "), "error %q names the model path", err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadRejectsPreprocessorModelMismatch(t *testing.T) {
	schemaJSON := `{"columns": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}, {"name": "y", "type": "numeric"}],
		"target": "y", "task": "regression", "header": true}`
	s, err := dataset.Parse([]byte(schemaJSON))
	require.NoError(t, err)
	csv := filepath.Join(t.TempDir(), "d.csv")
	require.NoError(t, os.WriteFile(csv, []byte("a,b,y\n1,2,3\n4,5,6\n"), 0o644))
	table := features.NewTable(s)
	require.NoError(t, table.ReadFile(csv))
	prep, err := features.Fit(table, []int{0, 1})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, prep.WriteJSON(&buf))

	dir := fixtureDir(t, map[string]string{SchemaFile: schemaJSON, PreprocessorFile: buf.String()})
	_, err = Load(dir)
	assert.ErrorContains(t, err, "the preprocessor makes 2 features, the model takes 10")
}
