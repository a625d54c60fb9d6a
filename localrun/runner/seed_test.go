package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/localrun/standin"
)

// TestSeedKeepsNestedFolders seeds a data folder with a subfolder, a
// hidden file and a symbolic link: the nested file lands under its
// relative key, as "aws s3 cp --recursive" would put it, so that the jobs
// see the folder SageMaker would lay out.
func TestSeedKeepsNestedFolders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	write("data/a.csv", "a\n")
	write("data/2024/b.csv", "b\n")
	write("data/.hidden", "h\n")
	require.NoError(t, os.Symlink(write("elsewhere/c.csv", "c\n"), filepath.Join(dir, "data", "2024", "c.csv")))
	schema := write("schema.json", "{}")
	infer := write("score/2025/x.csv", "x\n")

	store := &standin.Store{Root: filepath.Join(dir, "s3")}
	require.NoError(t, seed(store, bucketSet{data: "data-bucket", artifacts: "artifact-bucket"},
		Options{Data: filepath.Join(dir, "data"), Schema: schema, InferenceData: filepath.Dir(filepath.Dir(infer))}))
	keys, err := store.List("s3://data-bucket/")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"inference/2025/x.csv",
		"raw/data/2024/b.csv",
		"raw/data/2024/c.csv",
		"raw/data/a.csv",
		"raw/schema/schema.json",
	}, keys)
	got, err := store.Get("s3://data-bucket/raw/data/2024/c.csv")
	require.NoError(t, err)
	assert.Equal(t, "c\n", string(got), "the link's target")

	require.NoError(t, os.Symlink("..", filepath.Join(dir, "data", "2024", "up")))
	err = seed(store, bucketSet{data: "data-bucket"}, Options{Data: filepath.Join(dir, "data"), Schema: schema, InferenceData: infer})
	assert.ErrorContains(t, err, "folder 2024/up is reached twice (a symbolic link loop?)")
}
