package runner

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/mlpipeline-go/mlpipeline/infra"
)

// checkOptions rejects, before the run directory is touched, options that
// would only fail late: a threshold that is not a finite number, and a
// quality-gate metric that evaluate does not report for the schema's task,
// which would run preprocessing, training and evaluation only to fail at
// the gate on a missing path.
func checkOptions(opt Options) error {
	if math.IsNaN(opt.GateThreshold) || math.IsInf(opt.GateThreshold, 0) {
		return fmt.Errorf("GateThreshold (-threshold) = %g is invalid; valid: a finite number", opt.GateThreshold)
	}
	if t, ok := opt.TrainingInput["threshold"].(float64); ok && (math.IsNaN(t) || math.IsInf(t, 0)) {
		return fmt.Errorf("training input threshold = %g is invalid; valid: a finite number", t)
	}
	if opt.Definitions != nil {
		return nil // the gate is whatever the given definitions say
	}
	metric, source := opt.GateMetric, "-gate-metric"
	if metric == "" {
		var ok bool
		if metric, ok = configuredMetric(opt.CDKJSON, opt.Env); !ok {
			return nil // synthesis reports what is wrong with the configuration
		}
		source = fmt.Sprintf("qualityGate.metric of environment %q in %s; -gate-metric with -threshold overrides it", opt.Env, opt.CDKJSON)
	}
	task, ok := schemaTask(opt.Schema)
	if !ok {
		return nil // preprocess reports what is wrong with the schema, with its line
	}
	valid := infra.GateMetricsFor(task)
	for _, m := range valid {
		if m == metric {
			return nil
		}
	}
	return fmt.Errorf("quality-gate metric %q (%s) is not one evaluate reports for the task %q of the schema %s; valid: %s",
		metric, source, task, opt.Schema, strings.Join(valid, ", "))
}

// configuredMetric returns the quality-gate metric that cdk.json configures
// for env, when it can be read.
func configuredMetric(cdkJSON, env string) (string, bool) {
	ctx, err := infra.ReadContext(cdkJSON)
	if err != nil {
		return "", false
	}
	envs, err := infra.LoadEnvironments(ctx[infra.EnvironmentsContextKey], env)
	if err != nil || len(envs) != 1 {
		return "", false
	}
	return envs[0].QualityGate.Metric, true
}

// schemaTask returns the task of the data schema at path, when the schema
// can be read and names a task evaluate knows.
func schemaTask(path string) (string, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var schema struct {
		Task string `json:"task"`
	}
	if json.Unmarshal(data, &schema) != nil || infra.GateMetricsFor(schema.Task) == nil {
		return "", false
	}
	return schema.Task, true
}
