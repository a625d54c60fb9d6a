package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
)

// Evaluation is the content of evaluation.json. Its JSON form follows
// SageMaker's model-quality layout, so paths such as
// $.regression_metrics.mse.value or
// $.binary_classification_metrics.auc.value can be read by a Step Functions
// Choice state and by the Model Registry. Exactly one of Regression and
// Binary is set.
type Evaluation struct {
	// Regression holds the metrics of a regression model.
	Regression *RegressionMetrics `json:"regression_metrics,omitempty"`
	// Binary holds the metrics of a binary classifier.
	Binary *BinaryMetrics `json:"binary_classification_metrics,omitempty"`
	// Metadata describes the evaluation that produced the metrics.
	Metadata Metadata `json:"metadata"`
	// Explanations holds the model's global SHAP explanations, when
	// computed, in the layout of SageMaker Clarify's analysis.json
	// ("explanations" -> method -> label -> "global_shap_values" and
	// "expected_value"), under the method "tree_shap": exact TreeSHAP
	// values rather than Clarify's sampled Kernel SHAP.
	Explanations *Explanations `json:"explanations,omitempty"`
}

// Explanations is the "explanations" object of evaluation.json.
type Explanations struct {
	// TreeSHAP holds one explanation per model output, keyed by the
	// label's name (the schema's target column).
	TreeSHAP map[string]LabelExplanation `json:"tree_shap"`
}

// LabelExplanation explains one model output over the test split.
type LabelExplanation struct {
	// ExpectedValue is the model's expected raw score (log-odds for a
	// binary classifier), what every row's attributions add to.
	ExpectedValue float64 `json:"expected_value"`
	// GlobalShapValues is each schema column's mean absolute attribution
	// over the test rows, one-hot features added to their column.
	GlobalShapValues map[string]float64 `json:"global_shap_values"`
}

// Value is one metric in SageMaker's layout, an object with a "value" so
// that fields such as a standard deviation can be added later without
// moving the value's path.
type Value struct {
	// Value is the metric's value.
	Value float64 `json:"value"`
}

// RegressionMetrics is the "regression_metrics" object of evaluation.json.
type RegressionMetrics struct {
	// MSE is the mean squared error.
	MSE Value `json:"mse"`
	// RMSE is the root mean squared error.
	RMSE Value `json:"rmse"`
	// MAE is the mean absolute error.
	MAE Value `json:"mae"`
	// R2 is the coefficient of determination.
	R2 Value `json:"r2"`
}

// BinaryMetrics is the "binary_classification_metrics" object of
// evaluation.json.
type BinaryMetrics struct {
	// AUC is the area under the ROC curve.
	AUC Value `json:"auc"`
	// Accuracy is the fraction of examples classified correctly.
	Accuracy Value `json:"accuracy"`
	// Precision is TP/(TP+FP).
	Precision Value `json:"precision"`
	// Recall is TP/(TP+FN).
	Recall Value `json:"recall"`
	// F1 is the harmonic mean of precision and recall.
	F1 Value `json:"f1"`
	// LogLoss is the mean negative log-likelihood.
	LogLoss Value `json:"log_loss"`
	// ConfusionMatrix counts the outcomes at the threshold.
	ConfusionMatrix ConfusionMatrix `json:"confusion_matrix"`
}

// ConfusionMatrix is a confusion matrix in SageMaker's layout: the outer
// key is the actual label and the inner key the predicted label, so
// {"0": {"0": TN, "1": FP}, "1": {"0": FN, "1": TP}}.
type ConfusionMatrix struct {
	// Actual0 counts the examples labelled 0.
	Actual0 ConfusionRow `json:"0"`
	// Actual1 counts the examples labelled 1.
	Actual1 ConfusionRow `json:"1"`
}

// ConfusionRow counts the examples of one actual label by predicted label.
type ConfusionRow struct {
	// Predicted0 counts the examples predicted 0.
	Predicted0 int `json:"0"`
	// Predicted1 counts the examples predicted 1.
	Predicted1 int `json:"1"`
}

// Metadata describes the evaluation behind the metrics.
type Metadata struct {
	// N is the number of examples evaluated.
	N int `json:"n"`
	// Threshold is the classification threshold; it is nil, and left out
	// of the JSON, for regression.
	Threshold *float64 `json:"threshold,omitempty"`
}

// Report returns the regression metrics in evaluation.json form.
func (r Regression) Report() Evaluation {
	return Evaluation{
		Regression: &RegressionMetrics{
			MSE:  Value{r.MSE},
			RMSE: Value{r.RMSE},
			MAE:  Value{r.MAE},
			R2:   Value{r.R2},
		},
		Metadata: Metadata{N: r.N},
	}
}

// Report returns the binary classification metrics in evaluation.json
// form.
func (b Binary) Report() Evaluation {
	t := b.Threshold
	return Evaluation{
		Binary: &BinaryMetrics{
			AUC:       Value{b.AUC},
			Accuracy:  Value{b.Accuracy},
			Precision: Value{b.Precision},
			Recall:    Value{b.Recall},
			F1:        Value{b.F1},
			LogLoss:   Value{b.LogLoss},
			ConfusionMatrix: ConfusionMatrix{
				Actual0: ConfusionRow{Predicted0: b.Confusion.TN, Predicted1: b.Confusion.FP},
				Actual1: ConfusionRow{Predicted0: b.Confusion.FN, Predicted1: b.Confusion.TP},
			},
		},
		Metadata: Metadata{N: b.N, Threshold: &t},
	}
}

// WriteEvaluation writes e to w as indented JSON ending in a newline. The
// same Evaluation always gives the same bytes, so evaluation.json can be
// compared and cached by content. It returns an error, and writes nothing,
// when e has neither or both kinds of metrics or holds a NaN or an infinity,
// which JSON cannot represent.
func WriteEvaluation(w io.Writer, e Evaluation) error {
	if (e.Regression == nil) == (e.Binary == nil) {
		return errors.New("metrics: evaluation must hold exactly one of regression and binary classification metrics")
	}
	if err := e.checkFinite(); err != nil {
		return err
	}
	// Encode into memory first so that an encoding error cannot leave a
	// truncated evaluation.json behind.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("metrics: encoding evaluation: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("metrics: writing evaluation: %w", err)
	}
	return nil
}

// checkFinite names the metric that is not finite, which encoding/json's
// own error does not.
func (e Evaluation) checkFinite() error {
	type named struct {
		name string
		v    float64
	}
	var vs []named
	if m := e.Regression; m != nil {
		vs = append(vs,
			named{"regression_metrics.mse", m.MSE.Value},
			named{"regression_metrics.rmse", m.RMSE.Value},
			named{"regression_metrics.mae", m.MAE.Value},
			named{"regression_metrics.r2", m.R2.Value})
	}
	if m := e.Binary; m != nil {
		vs = append(vs,
			named{"binary_classification_metrics.auc", m.AUC.Value},
			named{"binary_classification_metrics.accuracy", m.Accuracy.Value},
			named{"binary_classification_metrics.precision", m.Precision.Value},
			named{"binary_classification_metrics.recall", m.Recall.Value},
			named{"binary_classification_metrics.f1", m.F1.Value},
			named{"binary_classification_metrics.log_loss", m.LogLoss.Value})
	}
	if t := e.Metadata.Threshold; t != nil {
		vs = append(vs, named{"metadata.threshold", *t})
	}
	if x := e.Explanations; x != nil {
		for _, label := range slices.Sorted(maps.Keys(x.TreeSHAP)) {
			le := x.TreeSHAP[label]
			vs = append(vs, named{"explanations.tree_shap." + label + ".expected_value", le.ExpectedValue})
			for _, col := range slices.Sorted(maps.Keys(le.GlobalShapValues)) {
				vs = append(vs, named{"explanations.tree_shap." + label + ".global_shap_values." + col, le.GlobalShapValues[col]})
			}
		}
	}
	for _, v := range vs {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return fmt.Errorf("metrics: %s = %v cannot be written as JSON", v.name, v.v)
		}
	}
	return nil
}
