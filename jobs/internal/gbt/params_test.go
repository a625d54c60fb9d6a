package gbt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultParams(t *testing.T) {
	got := DefaultParams()
	want := Params{
		Objective: SquaredError, NumRound: 100, MaxDepth: 6, Eta: 0.3, Gamma: 0, MinChildWeight: 1,
		Lambda: 1, Alpha: 0, Subsample: 1, ColsampleBytree: 1, MaxBin: 256,
	}
	assert.Equalf(t, want, got, "DefaultParams() = %+v, want %+v", got, want)
	assert.NoErrorf(t, got.Validate(), "DefaultParams().Validate()")
}

func TestParamsFromHyperparameters(t *testing.T) {
	tests := []struct {
		name string
		h    map[string]string
		want func(p *Params)
	}{
		{"empty gives the defaults", map[string]string{}, func(*Params) {}},
		{"nil gives the defaults", nil, func(*Params) {}},
		{
			"every parameter",
			map[string]string{
				"objective": "binary:logistic", "num_round": "50", "max_depth": "5", "eta": "0.2",
				"gamma": "4", "min_child_weight": "6", "lambda": "2.5", "alpha": "0.1", "subsample": "0.7",
				"colsample_bytree": "0.8", "max_bin": "64", "seed": "-42", "early_stopping_rounds": "10",
			},
			func(p *Params) {
				*p = Params{
					Objective: Logistic, NumRound: 50, MaxDepth: 5, Eta: 0.2, Gamma: 4, MinChildWeight: 6,
					Lambda: 2.5, Alpha: 0.1, Subsample: 0.7, ColsampleBytree: 0.8, MaxBin: 64, Seed: -42,
					EarlyStoppingRounds: 10,
				}
			},
		},
		{
			"aliases",
			map[string]string{"learning_rate": "0.05", "reg_lambda": "3", "reg_alpha": "0.5", "min_split_loss": "1e-2"},
			func(p *Params) { p.Eta, p.Lambda, p.Alpha, p.Gamma = 0.05, 3, 0.5, 0.01 },
		},
		{"boundaries", map[string]string{"eta": "1", "subsample": "1", "max_bin": "2", "max_depth": "64"},
			func(p *Params) { p.Eta, p.Subsample, p.MaxBin, p.MaxDepth = 1, 1, 2, 64 }},
		{"tree_method hist", map[string]string{"tree_method": "hist"}, func(*Params) {}},
		{"eval_metric of the default objective", map[string]string{"eval_metric": "rmse"}, func(*Params) {}},
		{
			"eval_metric of binary:logistic",
			map[string]string{"objective": "binary:logistic", "eval_metric": "logloss"},
			func(p *Params) { p.Objective = Logistic },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := DefaultParams()
			tc.want(&want)
			got, err := ParamsFromHyperparameters(tc.h)
			require.NoErrorf(t, err, "ParamsFromHyperparameters(%v)", tc.h)
			assert.Equalf(t, want, got, "ParamsFromHyperparameters(%v) = %+v, want %+v", tc.h, got, want)
			assert.NoErrorf(t, got.Validate(), "ParamsFromHyperparameters(%v).Validate()", tc.h)
		})
	}
}

func TestParamsFromHyperparametersErrors(t *testing.T) {
	tests := []struct {
		name string
		h    map[string]string
		want string // the error message, or a part of it
	}{
		{"unknown key", map[string]string{"etaa": "0.1"},
			`unknown hyperparameter "etaa"; valid names: alpha, colsample_bytree, early_stopping_rounds, eta, eval_metric, gamma, lambda, learning_rate, max_bin, max_depth, min_child_weight, min_split_loss, num_round, objective, reg_alpha, reg_lambda, seed, subsample, tree_method`},
		{"eta above 1", map[string]string{"eta": "2"}, `hyperparameter eta = "2" is invalid; valid: a number in (0, 1]`},
		{"eta 0", map[string]string{"eta": "0"}, `hyperparameter eta = "0" is invalid; valid: a number in (0, 1]`},
		{"eta not a number", map[string]string{"eta": "fast"}, `hyperparameter eta = "fast" is invalid; valid: a number in (0, 1]`},
		{"eta NaN", map[string]string{"eta": "NaN"}, `hyperparameter eta = "NaN" is invalid`},
		{"learning_rate named as given", map[string]string{"learning_rate": "-1"}, `hyperparameter learning_rate = "-1" is invalid; valid: a number in (0, 1]`},
		{"num_round 0", map[string]string{"num_round": "0"}, `hyperparameter num_round = "0" is invalid; valid: an integer >= 1`},
		{"num_round not an integer", map[string]string{"num_round": "10.5"}, `hyperparameter num_round = "10.5" is invalid; valid: an integer >= 1`},
		{"max_depth 0", map[string]string{"max_depth": "0"}, `hyperparameter max_depth = "0" is invalid; valid: an integer in [1, 64]`},
		{"max_depth 65", map[string]string{"max_depth": "65"}, `hyperparameter max_depth = "65" is invalid; valid: an integer in [1, 64]`},
		{"gamma negative", map[string]string{"gamma": "-1"}, `hyperparameter gamma = "-1" is invalid; valid: a number >= 0`},
		{"gamma infinite", map[string]string{"gamma": "+Inf"}, `hyperparameter gamma = "+Inf" is invalid; valid: a number >= 0`},
		{"min_child_weight negative", map[string]string{"min_child_weight": "-0.5"}, `hyperparameter min_child_weight = "-0.5" is invalid; valid: a number >= 0`},
		{"lambda negative", map[string]string{"lambda": "-1"}, `hyperparameter lambda = "-1" is invalid; valid: a number >= 0`},
		{"alpha negative", map[string]string{"alpha": "-1"}, `hyperparameter alpha = "-1" is invalid; valid: a number >= 0`},
		{"subsample 0", map[string]string{"subsample": "0"}, `hyperparameter subsample = "0" is invalid; valid: a number in (0, 1]`},
		{"subsample above 1", map[string]string{"subsample": "1.1"}, `hyperparameter subsample = "1.1" is invalid; valid: a number in (0, 1]`},
		{"colsample_bytree 0", map[string]string{"colsample_bytree": "0"}, `hyperparameter colsample_bytree = "0" is invalid; valid: a number in (0, 1]`},
		{"max_bin 1", map[string]string{"max_bin": "1"}, `hyperparameter max_bin = "1" is invalid; valid: an integer in [2, 65535]`},
		{"max_bin too large", map[string]string{"max_bin": "65536"}, `hyperparameter max_bin = "65536" is invalid; valid: an integer in [2, 65535]`},
		{"seed not an integer", map[string]string{"seed": "abc"}, `hyperparameter seed = "abc" is invalid; valid: a base-10 integer that fits in 64 bits`},
		{"early_stopping_rounds negative", map[string]string{"early_stopping_rounds": "-1"}, `hyperparameter early_stopping_rounds = "-1" is invalid; valid: an integer >= 0 (0 disables early stopping)`},
		{"objective unsupported", map[string]string{"objective": "multi:softmax"}, `hyperparameter objective = "multi:softmax" is invalid; valid: "reg:squarederror" or "binary:logistic"`},
		{"tree_method exact", map[string]string{"tree_method": "exact"}, `hyperparameter tree_method = "exact" is invalid; valid: "hist"`},
		{"eval_metric unsupported", map[string]string{"eval_metric": "mae"}, `hyperparameter eval_metric = "mae" is invalid; valid: "rmse"`},
		{"eval_metric of another objective", map[string]string{"objective": "binary:logistic", "eval_metric": "rmse"}, `hyperparameter eval_metric = "rmse" is invalid; valid: "logloss"`},
		{"alias and name together", map[string]string{"eta": "0.1", "learning_rate": "0.1"}, `hyperparameters eta and learning_rate are aliases of the same parameter; set only one`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParamsFromHyperparameters(tc.h)
			require.Errorf(t, err, "ParamsFromHyperparameters(%v) = %+v, want an error", tc.h, got)
			assert.Containsf(t, err.Error(), tc.want, "ParamsFromHyperparameters(%v) error = %q, want it to contain %q", tc.h, err, tc.want)
		})
	}
}

// TestParamsFromHyperparametersReportsEveryError checks that one bad value
// does not hide the next: a job's configuration can be fixed in one go.
func TestParamsFromHyperparametersReportsEveryError(t *testing.T) {
	h := map[string]string{"eta": "2", "max_depth": "-1", "colour": "red"}
	_, err := ParamsFromHyperparameters(h)
	require.Errorf(t, err, "ParamsFromHyperparameters(%v)", h)
	for _, want := range []string{`"colour"`, `eta = "2"`, `max_depth = "-1"`} {
		assert.Containsf(t, err.Error(), want, "ParamsFromHyperparameters(%v) error = %q, want it to contain %q", h, err, want)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Params)
		want   string
	}{
		{"objective", func(p *Params) { p.Objective = "reg:linear" }, `parameter objective = reg:linear is invalid; valid: "reg:squarederror" or "binary:logistic"`},
		{"zero value objective", func(p *Params) { p.Objective = "" }, `parameter objective =  is invalid`},
		{"num_round", func(p *Params) { p.NumRound = 0 }, `parameter num_round = 0 is invalid; valid: an integer >= 1`},
		{"max_depth", func(p *Params) { p.MaxDepth = 0 }, `parameter max_depth = 0 is invalid; valid: an integer in [1, 64]`},
		{"eta", func(p *Params) { p.Eta = 1.5 }, `parameter eta = 1.5 is invalid; valid: a number in (0, 1]`},
		{"eta NaN", func(p *Params) { p.Eta = nan() }, `parameter eta = NaN is invalid`},
		{"gamma", func(p *Params) { p.Gamma = -1 }, `parameter gamma = -1 is invalid; valid: a number >= 0`},
		{"min_child_weight", func(p *Params) { p.MinChildWeight = -1 }, `parameter min_child_weight = -1 is invalid`},
		{"lambda", func(p *Params) { p.Lambda = -1 }, `parameter lambda = -1 is invalid`},
		{"alpha", func(p *Params) { p.Alpha = -1 }, `parameter alpha = -1 is invalid`},
		{"subsample", func(p *Params) { p.Subsample = 0 }, `parameter subsample = 0 is invalid; valid: a number in (0, 1]`},
		{"colsample_bytree", func(p *Params) { p.ColsampleBytree = 2 }, `parameter colsample_bytree = 2 is invalid`},
		{"max_bin", func(p *Params) { p.MaxBin = 1 }, `parameter max_bin = 1 is invalid; valid: an integer in [2, 65535]`},
		{"early_stopping_rounds", func(p *Params) { p.EarlyStoppingRounds = -2 }, `parameter early_stopping_rounds = -2 is invalid`},
		{"threads", func(p *Params) { p.Threads = -1 }, `parameter Threads = -1 is invalid; valid: an integer >= 0 (0 means GOMAXPROCS)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.change(&p)
			err := p.Validate()
			require.Errorf(t, err, "%+v.Validate() = nil, want an error", p)
			assert.Containsf(t, err.Error(), tc.want, "Validate() = %q, want it to contain %q", err, tc.want)
		})
	}
	t.Run("zero Params", func(t *testing.T) {
		err := Params{}.Validate()
		require.Error(t, err, "Params{}.Validate() = nil, want an error")
		for _, want := range []string{"objective", "num_round", "max_depth", "eta", "subsample", "colsample_bytree", "max_bin"} {
			assert.Containsf(t, err.Error(), "parameter "+want+" =", "Params{}.Validate() = %q, want it to name %s", err, want)
		}
	})
}
