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
		{"empty directory", func(t *testing.T) string { return t.TempDir() }, "no model.json (nor model.ubj or xgboost-model) found"},
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

// xgboostFixture returns the bytes of one of the models XGBoost saved in
// ../gbt/testdata/xgboost-fixture.
func xgboostFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "gbt", "testdata", "xgboost-fixture", name))
	require.NoError(t, err)
	return data
}

// TestLoadUBJSON loads XGBoost's UBJSON model under each name a model may
// have, in a directory and in a model.tar.gz, and checks that it predicts
// exactly what the same model saved as JSON predicts.
func TestLoadUBJSON(t *testing.T) {
	fromJSON, err := Load(fixtureDir(t, nil))
	require.NoError(t, err)
	ubj := xgboostFixture(t, "regression-model.ubj")
	row := []float32{1, 0, 0, 0.56, 0.44, 0.135, 0.8025, 0.35, 0.1615, 0.259}
	for _, name := range []string{UBJSONModelFile, BuiltinModelFile, ModelFile} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), ubj, 0o644))
		var archive bytes.Buffer
		require.NoError(t, WriteArchive(&archive, dir))
		tarFile := filepath.Join(t.TempDir(), ArchiveFile)
		require.NoError(t, os.WriteFile(tarFile, archive.Bytes(), 0o644))
		for _, path := range []string{dir, tarFile} {
			b, err := Load(path)
			require.NoErrorf(t, err, "Load(UBJSON as %s)", name)
			assert.Equalf(t, 50, b.Model.NumTrees(), "UBJSON as %s: NumTrees()", name)
			assert.Equalf(t, fromJSON.Model.Predict(row), b.Model.Predict(row), "UBJSON as %s: Predict(row), want the JSON model's", name)
		}
	}
}

// TestLoadPrefersModelJSON checks which model is read when there are
// several: model.json, then model.ubj, then xgboost-model.
func TestLoadPrefersModelJSON(t *testing.T) {
	binary := xgboostFixture(t, "binary-model.ubj")
	regression := xgboostFixture(t, "regression-model.json")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, BuiltinModelFile), []byte("not read"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, UBJSONModelFile), binary, 0o644))
	b, err := Load(dir)
	require.NoError(t, err)
	assert.Equal(t, "binary:logistic", string(b.Model.Objective()), "model.ubj before xgboost-model")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ModelFile), regression, 0o644))
	b, err = Load(dir)
	require.NoError(t, err)
	assert.Equal(t, "reg:squarederror", string(b.Model.Objective()), "model.json before model.ubj")
}

// TestLoadRejectsDamagedModels checks that a model file XGBoost did not
// write in JSON or UBJSON gives an error naming the file and saying why.
func TestLoadRejectsDamagedModels(t *testing.T) {
	ubj := xgboostFixture(t, "binary-model.ubj")
	tests := []struct {
		name, file, data, want string
	}{
		// The first bytes of XGBoost 1.7's Booster.save_model("x.model").
		{"legacy binary", BuiltinModelFile, "binf\x00\x00\x00?\n\x00\x00\x00\x00\x00\x00\x00\x01",
			"xgboost-model: model: neither XGBoost's JSON nor its UBJSON model format; XGBoost's legacy binary model format is not supported"},
		{"truncated UBJSON", UBJSONModelFile, string(ubj[:len(ubj)-3]), "model.ubj: model: invalid UBJSON: byte "},
		{"corrupted UBJSON", BuiltinModelFile, strings.Replace(string(ubj), "[$d#L", "[$d#L\xff", 1), "xgboost-model: model: invalid UBJSON: byte "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.data), 0o644))
			_, err := Load(dir)
			require.Error(t, err)
			assert.Equal(t, "model "+dir+": ", err.Error()[:len(dir)+8], "the error names the model path")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
