package pipeline

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/internal/apimodel"
)

// TestTagRejectedCharsFollowTheAPIModels derives, from the services' own
// API models, the printable ASCII characters that Step Functions allows in
// an execution name (the StartExecution name member's documentation lists
// the forbidden ones) and SageMaker rejects in a tag value (TagValue's
// pattern): the execution-name check must reject exactly those.
func TestTagRejectedCharsFollowTheAPIModels(t *testing.T) {
	models := apimodel.OpenOrSkip(t)
	sfn, err := models.Service("stepfunctions")
	require.NoError(t, err)
	op, err := sfn.Operation("StartExecution")
	require.NoError(t, err)
	name, ok := sfn.Shapes[op.Input.Shape].Members["name"]
	require.True(t, ok, "StartExecution has a name member")
	doc := name.Documentation
	require.Contains(t, doc, "must <i>not</i> contain", "the name's documentation lists the forbidden characters")
	forbidden := map[rune]bool{' ': true}
	for _, m := range regexp.MustCompile(`<code>([^<]*)</code>`).FindAllStringSubmatch(doc, -1) {
		for _, f := range strings.Fields(html.UnescapeString(m[1])) {
			if strings.HasPrefix(f, "U+") {
				continue // control characters and surrogates, not printable ASCII
			}
			require.Len(t, []rune(f), 1, "one character per listed item: %q", f)
			forbidden[[]rune(f)[0]] = true
		}
	}
	require.True(t, forbidden['*'] && forbidden['/'] && forbidden['<'], "the list was read: %v", forbidden)

	sm, err := models.Service("sagemaker")
	require.NoError(t, err)
	tagValue, err := apimodel.Compile(sm.Shapes["TagValue"].Pattern)
	require.NoError(t, err)

	var want []string
	for c := rune(0x21); c < 0x7f; c++ {
		if !forbidden[c] && !tagValue.MatchString(string(c)) {
			want = append(want, string(c))
		}
	}
	got := slices.Clone(tagRejectedChars)
	slices.Sort(got)
	assert.Equal(t, want, got, "characters Step Functions allows in execution names and SageMaker rejects in tag values")
}
