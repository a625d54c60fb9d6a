package report

import (
	"fmt"
	"sort"
)

// Header says what a report is about. Every field but Title is optional;
// an empty one is left out of the page. It holds no wall-clock time: the
// same inputs give byte-identical reports, so a time shown is one the
// inputs carry (such as when the model was trained).
type Header struct {
	// Title heads the page and names the browser tab.
	Title string
	// Target and Task describe the data set: the schema's target column
	// and learning task.
	Target, Task string
	// Execution is the pipeline execution that ran the evaluation, Job
	// the processing job.
	Execution, Job string
	// ModelVersion is the model's registry version, when it has one.
	ModelVersion string
	// Hyperparameters are the model's training settings.
	Hyperparameters map[string]string
	// Time is a time the inputs carry, such as the model's training time.
	Time string
}

// fact is one line of the header's description list.
type fact struct{ Name, Value string }

// facts lists the header's non-empty fields in a fixed order.
func (h Header) facts() []fact {
	var fs []fact
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, fact{name, value})
		}
	}
	switch {
	case h.Target != "" && h.Task != "":
		add("Data set", fmt.Sprintf("target %q, %s", h.Target, h.Task))
	case h.Target != "":
		add("Data set", fmt.Sprintf("target %q", h.Target))
	}
	add("Execution", h.Execution)
	add("Processing job", h.Job)
	add("Model version", h.ModelVersion)
	add("Time", h.Time)
	return fs
}

// hyperparameters returns the hyperparameters as name=value rows, sorted by
// name so the page does not depend on map order.
func (h Header) hyperparameters() [][2]string {
	names := make([]string, 0, len(h.Hyperparameters))
	for n := range h.Hyperparameters {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := make([][2]string, len(names))
	for i, n := range names {
		rows[i] = [2]string{n, h.Hyperparameters[n]}
	}
	return rows
}
