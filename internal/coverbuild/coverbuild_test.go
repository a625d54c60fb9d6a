package coverbuild

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUnsetChangesNothing(t *testing.T) {
	t.Setenv(DirEnv, "")
	assert.Nil(t, BuildFlags(), "BuildFlags() with %s unset", DirEnv)
	assert.Nil(t, Env(), "Env() with %s unset", DirEnv)
}

func TestSetInstrumentsAndPointsAtTheDirectory(t *testing.T) {
	t.Setenv(DirEnv, "/tmp/cover")
	assert.Equal(t, []string{"-cover", "-covermode=set", "-coverpkg=github.com/mlpipeline-go/mlpipeline/..."}, BuildFlags())
	assert.Equal(t, []string{"GOCOVERDIR=/tmp/cover"}, Env())
}

func TestRelativeDirectoryIsMadeAbsolute(t *testing.T) {
	t.Setenv(DirEnv, "cover")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	assert.Equal(t, []string{"GOCOVERDIR=" + filepath.Join(wd, "cover")}, Env())
}
