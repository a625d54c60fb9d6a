package trainconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParamsIgnoresSageMakersHyperparameters(t *testing.T) {
	p, err := Params(map[string]string{
		"_tuning_objective_metric":      "validation:rmse",
		"sagemaker_program":             `"train.py"`,
		"sagemaker_submit_directory":    `"s3://bucket/source.tar.gz"`,
		"sagemaker_container_log_level": "20",
		"sagemaker_job_name":            `"job"`,
		"sagemaker_region":              `"eu-west-1"`,
		"max_depth":                     "5",
	})
	require.NoError(t, err)
	assert.Equal(t, 5, p.MaxDepth)
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		h    map[string]string
		want []Problem
	}{
		{"none", nil, nil},
		{"valid", map[string]string{"max_depth": "5", "eta": "0.2"}, nil},
		{"reserved keys", map[string]string{"_tuning_objective_metric": "validation:auc", "sagemaker_program": "x"}, nil},
		{"a metric of either objective, without one", map[string]string{"eval_metric": "logloss"}, nil},
		{"a metric of the other objective", map[string]string{"objective": "reg:squarederror", "eval_metric": "logloss"},
			[]Problem{{Key: "eval_metric", Value: "logloss", Valid: `"rmse" (the metric of objective reg:squarederror; no other metric is implemented)`}}},
		{"invalid and unknown", map[string]string{"max_depth": "0", "colour": "red"}, []Problem{
			{Key: "colour", Value: "red", Unknown: true, Valid: "one of alpha, colsample_bytree, early_stopping_rounds, eta, eval_metric, gamma, lambda, learning_rate, max_bin, max_depth, min_child_weight, min_split_loss, num_round, objective, reg_alpha, reg_lambda, seed, subsample, tree_method"},
			{Key: "max_depth", Value: "0", Valid: "an integer in [1, 64]"},
		}},
		{"a hexadecimal float", map[string]string{"eta": "0x1p-2"}, []Problem{{Key: "eta", Value: "0x1p-2", Valid: "a number in (0, 1]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Check(tt.h))
		})
	}
}
