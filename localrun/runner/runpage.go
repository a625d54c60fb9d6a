package runner

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/mlpipeline-go/mlpipeline/localrun/asl"
)

// RunPageFile is the page, in the run directory, that shows a run at a
// glance.
const RunPageFile = "index.html"

// Step is one state an execution went through.
type Step struct {
	// Execution is "training" or "inference"; State and Type name the
	// state.
	Execution, State, Type string
	// Duration is the time spent in the state.
	Duration time.Duration
}

// stepLog collects the states left, for the run page.
type stepLog struct {
	mu        sync.Mutex
	execution string
	steps     []Step
}

// start names the execution whose states follow.
func (l *stepLog) start(execution string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.execution = execution
}

// observe records a state left, or the one that failed the execution.
func (l *stepLog) observe(ev asl.Event) {
	if ev.Kind != "exit" && ev.Kind != "fail" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, Step{Execution: l.execution, State: ev.State, Type: ev.Type, Duration: ev.Duration})
}

// pageExecution is one execution on the run page.
type pageExecution struct {
	Kind, Name, Status, Error, Cause string
	Steps                            []Step
	Total                            time.Duration
}

// pageLink is a link to an output, relative to the page.
type pageLink struct{ Name, Href, Text string }

// runPage is the data behind runPageTemplate.
type runPage struct {
	Env          string
	Executions   []pageExecution
	Gate         string
	ModelVersion *ModelVersion
	Approval     string
	Metrics      [][2]string
	Links        []pageLink
	Failure      string
}

var runPageTemplate = template.Must(template.New("run").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local run: {{.Env}}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; }
.SUCCEEDED { color: #1a7f37; font-weight: bold; }
.FAILED, .TIMED_OUT { color: #b00020; font-weight: bold; }
.failure { color: #b00020; }
code { background: #f6f6f6; padding: 0.1em 0.3em; }
</style>
</head>
<body>
<h1>Local run: {{.Env}}</h1>
{{- with .Failure}}
<p class="failure">{{.}}</p>
{{- end}}
<h2>Executions</h2>
<table class="executions">
<tr><th>State machine</th><th>Execution</th><th>Status</th><th>Duration</th><th>Error</th></tr>
{{- range .Executions}}
<tr><td>{{.Kind}}</td><td>{{.Name}}</td><td class="{{.Status}}">{{.Status}}</td><td class="num">{{.Total}}</td><td>{{.Error}}{{with .Cause}}: {{.}}{{end}}</td></tr>
{{- end}}
</table>
<h2>Quality gate</h2>
<p class="gate">{{.Gate}}</p>
{{- with .ModelVersion}}
<p>Model version <code>{{.Arn}}</code>: {{.ApprovalStatus}}</p>
{{- end}}
{{- with .Approval}}
<p>The version waits for a person to approve it; inference scores only with an approved version. Approve it with <code>-approve</code>, or on AWS with <code>{{.}}</code>.</p>
{{- end}}
{{- if .Metrics}}
<h2>Metrics</h2>
<table class="metrics">
<tr><th>Metric</th><th>Value</th></tr>
{{- range .Metrics}}
<tr><td>{{index . 0}}</td><td class="num">{{index . 1}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Links}}
<h2>Outputs</h2>
<ul class="outputs">
{{- range .Links}}
<li>{{.Name}}: <a href="{{.Href}}">{{.Text}}</a></li>
{{- end}}
</ul>
{{- end}}
{{- range .Executions}}
{{- if .Steps}}
<h2>States of the {{.Kind}} execution</h2>
<table class="steps">
<tr><th>State</th><th>Type</th><th>Duration</th></tr>
{{- range .Steps}}
<tr><td>{{.State}}</td><td>{{.Type}}</td><td class="num">{{.Duration}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- end}}
</body>
</html>
`))

// writeRunPage writes the run page of s into runDir and returns its path.
func writeRunPage(runDir, env string, s *Summary) (string, error) {
	p := runPage{Env: env, ModelVersion: s.ModelVersion}
	for _, e := range []struct {
		kind, name string
		res        asl.Result
	}{{"training", trainingExecution, s.Training}, {"inference", inferenceExecution, s.Inference}} {
		x := pageExecution{Kind: e.kind, Name: e.name, Status: e.res.Status, Error: e.res.Error, Cause: e.res.Cause}
		if x.Status == "" {
			x.Status = "not run"
		}
		for _, st := range s.Steps {
			if st.Execution == e.kind {
				st.Duration = st.Duration.Round(time.Millisecond)
				x.Steps = append(x.Steps, st)
				x.Total += st.Duration
			}
		}
		p.Executions = append(p.Executions, x)
	}
	switch {
	case s.GatePassed:
		p.Gate = "Passed: the model version is registered."
	case s.GateReached:
		p.Gate = "Rejected: " + s.Training.Cause
	default:
		p.Gate = "Not reached."
	}
	if v := s.ModelVersion; v != nil && v.ApprovalStatus == pendingStatus {
		p.Approval = v.AWSApprovalCommand()
	}
	for _, group := range []string{"regression_metrics", "binary_classification_metrics"} {
		metrics, _ := s.Evaluation[group].(map[string]any)
		names := make([]string, 0, len(metrics))
		for n := range metrics {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if v, ok := metrics[n].(map[string]any)["value"].(float64); ok {
				p.Metrics = append(p.Metrics, [2]string{n, fmt.Sprintf("%.4g", v)})
			}
		}
	}
	link := func(name, path string) {
		if rel, err := filepath.Rel(runDir, path); err == nil && path != "" {
			p.Links = append(p.Links, pageLink{Name: name, Href: filepath.ToSlash(rel), Text: filepath.Base(path)})
		}
	}
	link("evaluation report", s.Report)
	for _, pr := range s.Predictions {
		link("predictions", pr)
	}
	link("model", s.Model)
	for _, l := range s.FailedJobs {
		link("log of failed job "+l.Job+" "+l.Host, l.Path)
	}
	if err := s.Failure(); err != nil {
		p.Failure = err.Error()
	}
	var buf bytes.Buffer
	if err := runPageTemplate.Execute(&buf, p); err != nil {
		return "", err
	}
	path := filepath.Join(runDir, RunPageFile)
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}
