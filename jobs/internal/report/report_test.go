package report

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipeline-go/mlpipeline/jobs/internal/metrics"
)

var exampleDir = flag.String("example-dir", "", "also write example reports into this directory, to look at in a browser")

const evilTitle = `Model <script>alert("x")</script> & "friends"`

// regressionData returns a deterministic noisy regression set whose noise
// grows with the target, so the residual plots have something to show.
func regressionData(n int) (actual, predicted []float64) {
	rng := rand.New(rand.NewPCG(7, 11))
	actual = make([]float64, n)
	predicted = make([]float64, n)
	for i := range n {
		x := 10 + 90*rng.Float64()
		actual[i] = x
		predicted[i] = 0.95*x + 3 + rng.NormFloat64()*(1+0.05*x)
	}
	return actual, predicted
}

// binaryData returns a deterministic, imbalanced set of labels with
// probabilities from a logistic model that separates them imperfectly.
func binaryData(n int) (actual, prob []float64) {
	rng := rand.New(rand.NewPCG(3, 5))
	actual = make([]float64, n)
	prob = make([]float64, n)
	for i := range n {
		if rng.Float64() < 0.3 {
			actual[i] = 1
		}
		z := -1.2 + 2.2*actual[i] + rng.NormFloat64()
		prob[i] = 1 / (1 + math.Exp(-z))
	}
	return actual, prob
}

func renderRegression(t *testing.T, title string, actual, predicted []float64) []byte {
	t.Helper()
	m, err := metrics.ComputeRegression(actual, predicted)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteRegression(&buf, Header{Title: title}, m, actual, predicted, nil))
	return buf.Bytes()
}

func renderBinary(t *testing.T, title string, actual, prob []float64, threshold float64) []byte {
	t.Helper()
	m, err := metrics.ComputeBinary(actual, prob, threshold)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteBinary(&buf, Header{Title: title}, m, actual, prob, nil))
	return buf.Bytes()
}

// saveExample writes a report into -example-dir when it is set.
func saveExample(t *testing.T, name string, b []byte) {
	t.Helper()
	if *exampleDir == "" {
		return
	}
	require.NoError(t, os.MkdirAll(*exampleDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(*exampleDir, name), b, 0o644))
}

// assertSelfContained checks the properties every report must have: a
// complete HTML document with inline SVG and nothing that would load a
// resource or run code.
func assertSelfContained(t *testing.T, html string) {
	t.Helper()
	assert.True(t, strings.HasPrefix(html, "<!DOCTYPE html>\n"))
	assert.True(t, strings.HasSuffix(html, "</html>\n"))
	assert.Equal(t, strings.Count(html, "<svg"), strings.Count(html, "</svg>"))
	assert.NotContains(t, html, "<?xml", "the SVG prolog is stripped inside HTML")
	// SVG namespace declarations are identifiers, not fetches.
	lower := strings.NewReplacer(
		`xmlns="http://www.w3.org/2000/svg"`, "",
		`xmlns:xlink="http://www.w3.org/1999/xlink"`, "",
	).Replace(strings.ToLower(html))
	for _, bad := range []string{"<script", "src=", "href=", "<link", "@import", "url(", "http:", "https:", "javascript:"} {
		assert.NotContains(t, lower, bad)
	}
}

func TestWriteRegression(t *testing.T) {
	actual, predicted := regressionData(500)
	m, err := metrics.ComputeRegression(actual, predicted)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteRegression(&buf, Header{Title: evilTitle}, m, actual, predicted, nil))
	html := buf.String()
	saveExample(t, "regression.html", buf.Bytes())

	assertSelfContained(t, html)
	assert.Equal(t, 3, strings.Count(html, "<svg"), "scatter, residual histogram, residual scatter")
	for _, title := range []string{"Predicted vs actual", "Residual distribution", "Residuals vs predicted"} {
		assert.Contains(t, html, ">"+title+"</text>", "plot title drawn in the SVG")
	}
	assert.Contains(t, html, ">Actual</text>", "axis label drawn in the SVG")

	assert.Contains(t, html, "<td>"+formatFloat(m.MSE)+"</td>")
	assert.Contains(t, html, "<td>"+formatFloat(m.RMSE)+"</td>")
	assert.Contains(t, html, "<td>"+formatFloat(m.MAE)+"</td>")
	assert.Contains(t, html, "<td>"+formatFloat(m.R2)+"</td>")
	assert.Contains(t, html, "<td>500</td>")
	assert.NotContains(t, html, "every", "500 points need no downsampling")
}

func TestWriteRegressionHandValues(t *testing.T) {
	// Same vectors as the metrics tests: MSE 0.5625, RMSE 0.75, MAE 0.625, R2 0.55.
	html := string(renderRegression(t, "small", []float64{1, 2, 3, 4}, []float64{1.5, 2, 2, 5}))
	for _, v := range []string{"0.5625", "0.75", "0.625", "0.55"} {
		assert.Contains(t, html, "<td>"+v+"</td>")
	}
}

func TestWriteRegressionDegenerateInputs(t *testing.T) {
	// Perfect predictions give residuals that are all zero, and a single
	// example gives one-point ranges: gonum/plot must not choke on either.
	tests := []struct {
		name              string
		actual, predicted []float64
	}{
		{"perfect", []float64{1, 2, 3}, []float64{1, 2, 3}},
		{"single example", []float64{5}, []float64{4}},
		{"constant", []float64{2, 2, 2, 2}, []float64{2, 2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := string(renderRegression(t, tt.name, tt.actual, tt.predicted))
			assert.Equal(t, 3, strings.Count(html, "<svg"))
		})
	}
}

func TestWriteBinary(t *testing.T) {
	actual, prob := binaryData(2000)
	m, err := metrics.ComputeBinary(actual, prob, 0.5)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteBinary(&buf, Header{Title: evilTitle}, m, actual, prob, nil))
	html := buf.String()
	saveExample(t, "binary.html", buf.Bytes())

	assertSelfContained(t, html)
	assert.Equal(t, 4, strings.Count(html, "<svg"), "ROC, calibration, confusion heat map, score distribution")
	for _, title := range []string{"ROC curve", "Calibration (reliability) curve", "Confusion matrix", "Score distribution by class"} {
		assert.Contains(t, html, ">"+title+"</text>", "plot title drawn in the SVG")
	}
	assert.Contains(t, html, "ROC (AUC = ", "AUC in the ROC legend")

	for _, v := range []float64{m.AUC, m.Accuracy, m.Precision, m.Recall, m.F1, m.LogLoss} {
		assert.Contains(t, html, "<td>"+formatFloat(v)+"</td>")
	}
	c := m.Confusion
	assert.Contains(t, html, "<td>"+strconv.Itoa(c.TN)+" (TN)</td>")
	assert.Contains(t, html, "<td>"+strconv.Itoa(c.FP)+" (FP)</td>")
	assert.Contains(t, html, "<td>"+strconv.Itoa(c.FN)+" (FN)</td>")
	assert.Contains(t, html, "<td>"+strconv.Itoa(c.TP)+" (TP)</td>")
	assert.Contains(t, html, "Calibration bins")
}

func TestWriteBinaryHandValues(t *testing.T) {
	// Same vectors as the metrics tests: AUC 0.75, accuracy 0.75,
	// precision 1, recall 0.5, F1 2/3, confusion TN 2, FP 0, FN 1, TP 1.
	html := string(renderBinary(t, "small", []float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.5))
	for _, v := range []string{"0.75", "1", "0.5", "0.666667", "0.472288"} {
		assert.Contains(t, html, "<td>"+v+"</td>")
	}
	assert.Contains(t, html, "ROC (AUC = 0.750)")
	assert.Contains(t, html, "<td>2 (TN)</td><td>0 (FP)</td>")
	assert.Contains(t, html, "<td>1 (FN)</td><td>1 (TP)</td>")
	// Equal shares in every cell of the heat map must still draw colors.
	html = string(renderBinary(t, "even", []float64{0, 0, 1, 1}, []float64{0.2, 0.6, 0.3, 0.7}, 0.5))
	assert.Contains(t, html, "Confusion matrix")
}

func TestTitleIsEscaped(t *testing.T) {
	actual, predicted := regressionData(50)
	la, lp := binaryData(50)
	for _, html := range []string{
		string(renderRegression(t, evilTitle, actual, predicted)),
		string(renderBinary(t, evilTitle, la, lp, 0.5)),
	} {
		assert.NotContains(t, html, "<script>")
		assert.NotContains(t, html, `alert("x")`)
		assert.Contains(t, html, "<title>Model &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;friends&#34;</title>")
		assert.Contains(t, html, "<h1>Model &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;friends&#34;</h1>")
	}
}

func TestDeterministic(t *testing.T) {
	actual, predicted := regressionData(5000)
	assert.Equal(t, renderRegression(t, "r", actual, predicted), renderRegression(t, "r", actual, predicted))
	la, lp := binaryData(5000)
	assert.Equal(t, renderBinary(t, "b", la, lp, 0.4), renderBinary(t, "b", la, lp, 0.4))
}

func TestLargeInputStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 200k-example reports")
	}
	const n = 200_000
	const limit = 2 << 20

	actual, predicted := regressionData(n)
	reg := renderRegression(t, "large regression", actual, predicted)
	saveExample(t, "regression-200k.html", reg)
	assert.Less(t, len(reg), limit)
	html := string(reg)
	assert.Contains(t, html, "every 100th of 200000 examples (2000 points)")
	// Each scatter draws exactly MaxScatterPoints glyphs; count the
	// circles by their arc commands (two arcs per circle).
	assert.Equal(t, 2*2*MaxScatterPoints, len(regexp.MustCompile(`A1\.5,1\.5 0 1 1`).FindAllStringIndex(html, -1)))

	la, lp := binaryData(n)
	bin := renderBinary(t, "large binary", la, lp, 0.5)
	saveExample(t, "binary-200k.html", bin)
	assert.Less(t, len(bin), limit)
	assert.Contains(t, string(bin), "The ROC curve draws every")
	t.Logf("200k examples: regression report %d bytes, binary report %d bytes", len(reg), len(bin))
}

func TestStride(t *testing.T) {
	tests := []struct{ n, limit, want int }{
		{0, 10, 1}, {1, 10, 1}, {10, 10, 1}, {11, 10, 2}, {20, 10, 2}, {21, 10, 3}, {200_000, 2000, 100},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, stride(tt.n, tt.limit), "stride(%d, %d)", tt.n, tt.limit)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteRegressionErrors(t *testing.T) {
	good := metrics.Regression{N: 2}
	tests := []struct {
		name              string
		m                 metrics.Regression
		actual, predicted []float64
		want              string
	}{
		{"length mismatch", good, []float64{1, 2}, []float64{1}, "length mismatch"},
		{"empty", metrics.Regression{}, nil, nil, "no examples"},
		{"NaN", good, []float64{1, math.NaN()}, []float64{1, 2}, "actual[1] = NaN"},
		{"Inf", good, []float64{1, 2}, []float64{math.Inf(-1), 2}, "predicted[0] = -Inf"},
		{"metrics for other data", metrics.Regression{N: 3}, []float64{1, 2}, []float64{1, 2}, "metrics are for 3 examples but 2 were given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteRegression(&buf, Header{Title: "t"}, tt.m, tt.actual, tt.predicted, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, buf.Len(), "nothing is written on error")
		})
	}

	actual, predicted := regressionData(10)
	m, err := metrics.ComputeRegression(actual, predicted)
	require.NoError(t, err)
	err = WriteRegression(failingWriter{}, Header{Title: "t"}, m, actual, predicted, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
}

func TestWriteBinaryErrors(t *testing.T) {
	good := metrics.Binary{N: 2, Threshold: 0.5}
	tests := []struct {
		name         string
		m            metrics.Binary
		actual, prob []float64
		want         string
	}{
		{"length mismatch", good, []float64{0, 1}, []float64{0.5}, "length mismatch"},
		{"empty", metrics.Binary{Threshold: 0.5}, nil, nil, "no examples"},
		{"bad label", good, []float64{0, 3}, []float64{0.1, 0.9}, "actual[1] = 3 is not a binary label"},
		{"bad probability", good, []float64{0, 1}, []float64{0.1, 1.5}, "prob[1] = 1.5 is not a probability"},
		{"NaN probability", good, []float64{0, 1}, []float64{math.NaN(), 0.5}, "prob[0] = NaN"},
		{"one class", good, []float64{1, 1}, []float64{0.1, 0.9}, "AUC needs both classes"},
		{"bad threshold", metrics.Binary{N: 2, Threshold: 2}, []float64{0, 1}, []float64{0.1, 0.9}, "threshold 2 is not in [0, 1]"},
		{"metrics for other data", metrics.Binary{N: 5, Threshold: 0.5}, []float64{0, 1}, []float64{0.1, 0.9}, "metrics are for 5 examples but 2 were given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteBinary(&buf, Header{Title: "t"}, tt.m, tt.actual, tt.prob, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, buf.Len(), "nothing is written on error")
		})
	}

	actual, prob := binaryData(10)
	m, err := metrics.ComputeBinary(actual, prob, 0.5)
	require.NoError(t, err)
	err = WriteBinary(failingWriter{}, Header{Title: "t"}, m, actual, prob, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
}

func TestHeaderSaysWhatTheReportIsAbout(t *testing.T) {
	actual, predicted := regressionData(10)
	m, err := metrics.ComputeRegression(actual, predicted)
	require.NoError(t, err)
	h := Header{
		Title: "Model evaluation: rings (regression)", Target: "rings", Task: "regression",
		Execution: "local-training", Job: "mlp-dev-evaluate-1",
		Hyperparameters: map[string]string{"num_round": "50", "eta": "0.2", "max_depth": "<5>"},
	}
	var buf, again bytes.Buffer
	require.NoError(t, WriteRegression(&buf, h, m, actual, predicted, nil))
	require.NoError(t, WriteRegression(&again, h, m, actual, predicted, nil))
	assert.Equal(t, buf.Bytes(), again.Bytes(), "same inputs, same bytes")
	html := buf.String()
	assert.Contains(t, html, "<h1>Model evaluation: rings (regression)</h1>")
	assert.Contains(t, html, "<dt>Data set</dt><dd>target &#34;rings&#34;, regression</dd>\n<dt>Execution</dt><dd>local-training</dd>\n<dt>Processing job</dt><dd>mlp-dev-evaluate-1</dd>\n</dl>")
	assert.Contains(t, html, "<caption>Hyperparameters</caption>\n"+
		"<tr><td class=\"name\">eta</td><td>0.2</td></tr>\n"+
		"<tr><td class=\"name\">max_depth</td><td>&lt;5&gt;</td></tr>\n"+
		"<tr><td class=\"name\">num_round</td><td>50</td></tr>\n</table>", "sorted and escaped")
	assert.NotContains(t, html, "<dt>Time</dt>", "no time the inputs do not carry")
	assert.NotContains(t, html, "<dt>Model version</dt>")

	var plain bytes.Buffer
	require.NoError(t, WriteRegression(&plain, Header{Title: "t"}, m, actual, predicted, nil))
	assert.NotContains(t, plain.String(), `<dl class="about">`, "no empty header")
	assert.NotContains(t, plain.String(), "Hyperparameters")
}
