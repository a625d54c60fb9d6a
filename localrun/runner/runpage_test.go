package runner

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runPageLinks reads the run page of sum and returns it with the targets
// of its links, checking that each is a relative path to a file that
// exists.
func runPageLinks(t *testing.T, sum *Summary) (string, []string) {
	t.Helper()
	require.NotEmpty(t, sum.RunPage)
	data, err := os.ReadFile(sum.RunPage)
	require.NoError(t, err)
	var hrefs []string
	for _, m := range regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(string(data), -1) {
		href := m[1]
		hrefs = append(hrefs, href)
		assert.False(t, filepath.IsAbs(href) || strings.Contains(href, ":"), "link %s is relative", href)
		nonEmpty(t, filepath.Join(filepath.Dir(sum.RunPage), filepath.FromSlash(href)))
	}
	return string(data), hrefs
}

func TestRunPageOfASuccessfulRun(t *testing.T) {
	sum := approvedRun(t)
	page, hrefs := runPageLinks(t, sum)
	assert.Equal(t, filepath.Join(filepath.Dir(sum.RunPage), RunPageFile), sum.RunPage)
	assert.Contains(t, page, "<h1>Local run: dev</h1>")
	assert.Contains(t, page, `<td>training</td><td>local-training</td><td class="SUCCEEDED">SUCCEEDED</td>`)
	assert.Contains(t, page, `<td>inference</td><td>local-inference</td><td class="SUCCEEDED">SUCCEEDED</td>`)
	assert.Contains(t, page, "Passed: the model version is registered.")
	assert.Contains(t, page, "<tr><td>mse</td>")
	assert.Contains(t, page, "<h2>States of the training execution</h2>")
	assert.Contains(t, page, "<tr><td>Preprocess</td><td>Task</td>")
	assert.Contains(t, page, "<h2>States of the inference execution</h2>")
	require.Len(t, hrefs, 2+len(sum.Predictions))
	assert.True(t, strings.HasSuffix(hrefs[0], "/report.html"), hrefs[0])
	assert.NotContains(t, page, `class="failure"`)
}
