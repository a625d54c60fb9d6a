package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInferAttributions checks -attributions: one column per schema
// feature column (Sex, not its one-hot features) and the expected value,
// adding up to each row's raw score (the regression prediction), the
// predictions themselves unchanged, and the same bytes on one worker or
// several.
func TestInferAttributions(t *testing.T) {
	model := testModel(t)
	input := filepath.Join(abalone, "abalone.csv")
	dir := t.TempDir()
	_, err := infer(t, filepath.Join(dir, "plain"), "-model", model, "-input", input)
	require.NoError(t, err)
	_, err = infer(t, filepath.Join(dir, "one"), "-model", model, "-input", input, "-attributions", "-workers", "1")
	require.NoError(t, err)
	_, err = infer(t, filepath.Join(dir, "many"), "-model", model, "-input", input, "-attributions", "-workers", "3")
	require.NoError(t, err)

	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(dir, name, "abalone.csv.out"))
		require.NoError(t, err)
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		return rows
	}
	plain, one, many := read("plain"), read("one"), read("many")
	assert.Equal(t, one, many, "the worker count changes nothing")
	header := one[0]
	assert.Equal(t, "prediction", header[0])
	assert.Contains(t, header, "shap_Sex", "one-hot features add up to their column")
	assert.NotContains(t, header, "shap_Sex=F")
	assert.Equal(t, "shap_expected_value", header[len(header)-1])
	require.Len(t, one, len(plain))
	for i := 1; i < len(one); i++ {
		assert.Equal(t, plain[i][0], one[i][0], "row %d: the prediction is unchanged", i)
		pred, err := strconv.ParseFloat(one[i][0], 64)
		require.NoError(t, err)
		sum := 0.0
		for _, f := range one[i][1:] {
			v, err := strconv.ParseFloat(f, 64)
			require.NoError(t, err)
			sum += v
		}
		require.InDelta(t, pred, sum, 1e-4, "row %d: the attributions add up to the prediction", i)
	}
}
