// Package gbt trains gradient-boosted decision trees with the histogram
// method, reads them in XGBoost's JSON and UBJSON model formats, and
// writes them in its JSON format.
//
// The train job uses [Train]; the evaluate and infer jobs use [ReadModel]
// (which reads either format, see [ReadJSON] and [ReadUBJSON]) and the
// Predict methods of [Model], and must work the same whether the model
// came from our train job or from real XGBoost (for example SageMaker's
// built-in XGBoost algorithm). The format is therefore the contract: a model
// we write loads in XGBoost 1.7 with Booster(model_file=...) and predicts
// the same values, and a model XGBoost writes loads here and predicts what
// XGBoost predicts.
//
// Training follows XGBoost's tree_method=hist with the depthwise grow policy
// closely enough that hyperparameters tuned for one carry over to the other:
// the same histogram cuts (chosen with the weighted quantile sketch XGBoost
// 1.7 uses, see sketch.go, so that without row or column sampling the
// trees are XGBoost's split for split), the same split rule (x < threshold
// goes left, missing values follow a learned default direction), the same
// gain, weight and regularisation formulas, the same checks on
// min_child_weight and gamma, and the same node numbering. Differences that
// remain are documented where they arise; the largest is that base_score is
// estimated from the labels rather than fixed at 0.5, which XGBoost only
// does from version 2.0 on.
//
// Training and batch prediction use several goroutines but their results do
// not depend on how many: work is cut into blocks of a fixed size and partial
// sums are combined in a fixed order, so a seed gives the same model,
// byte for byte, on a laptop and on a 96-core training instance.
//
// Missing values are NaN in a [Matrix]. They are supported in training and
// prediction; ±Inf features and non-finite labels are rejected because
// XGBoost rejects them too and they would otherwise poison every sum.
package gbt
