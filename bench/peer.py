"""The Python peer of the Go jobs: what a typical SageMaker scikit-learn and
XGBoost script does, one subcommand per step so that each runs as its own
process.

  preprocess  pandas read_csv, ColumnTransformer (median imputation and
              standardisation of numeric columns, one-hot encoding of
              categorical ones), train/validation split, CSV output
              (header-less, target first) and the fitted transformer (joblib)
  train       xgboost.train (hist) on header-less CSV splits, target first
  infer       raw CSV files -> fitted transformer -> booster -> NAME.out
  compare     test MSE of both boosters on one test split, and the largest
              difference between the Go job's predictions and XGBoost's
              predictions with the Go job's model
  attributions
              XGBoost's own TreeSHAP, Booster.predict(pred_contribs=True),
              on feature splits already made (header-less CSV, target
              first) with a given model; only DMatrix construction and
              pred_contribs are timed, into a JSON file
  compare-attributions
              the largest difference between the Go job's per-column
              attributions and XGBoost's pred_contribs with the same
              model, its one-hot features summed per column
  versions    the versions of Python and the libraries, as JSON
"""

import argparse
import glob
import json
import os
import platform
import time

import numpy as np
import pandas as pd
import xgboost as xgb

# scikit-learn and joblib are imported by the steps that use them, as the
# separate preprocessing, training and inference scripts of a SageMaker
# project do.


def add_unseen_column(x):
    """Appends an indicator of rows whose category was not seen in training
    (all one-hot columns zero), the layout the Go preprocessor writes."""
    x = np.asarray(x, dtype=np.float64)
    return np.hstack([x, (x.sum(axis=1) == 0).astype(np.float64)[:, None]])


def read_schema(path):
    with open(path) as f:
        schema = json.load(f)
    target = schema["target"]
    cols = [c for c in schema["columns"] if c["name"] != target and c["name"] != schema.get("id")]
    cat = [c["name"] for c in cols if c["type"] == "categorical"]
    num = [c["name"] for c in cols if c["type"] == "numeric"]
    return target, cat, num


def make_transformer(cat, num):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    # One categorical pipeline per column so that each gets its own unseen
    # indicator; categorical columns come first, as in the abalone layout.
    steps = []
    for c in cat:
        steps.append((
            "cat_" + c,
            Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                ("unseen", FunctionTransformer(add_unseen_column)),
            ]),
            [c],
        ))
    steps.append((
        "num",
        Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
        num,
    ))
    return ColumnTransformer(steps)


def write_split(path, y, x):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    out = np.concatenate([np.asarray(y, dtype=np.float64).reshape(-1, 1), x], axis=1)
    pd.DataFrame(out).to_csv(path, header=False, index=False)


def cmd_preprocess(a):
    import joblib

    target, cat, num = read_schema(a.schema)
    pool = pd.read_csv(a.input)
    test = pd.read_csv(a.test_input)
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(len(pool))
    n_train = int(round(len(pool) * a.train_fraction / (a.train_fraction + a.validation_fraction)))
    train, validation = pool.iloc[order[:n_train]], pool.iloc[order[n_train:]]
    transformer = make_transformer(cat, num)
    x_train = transformer.fit_transform(train)
    write_split(os.path.join(a.output, "train", "train.csv"), train[target], x_train)
    write_split(os.path.join(a.output, "validation", "validation.csv"), validation[target], transformer.transform(validation))
    write_split(os.path.join(a.output, "test", "test.csv"), test[target], transformer.transform(test))
    os.makedirs(os.path.join(a.output, "preprocessor"), exist_ok=True)
    joblib.dump(transformer, os.path.join(a.output, "preprocessor", "preprocessor.joblib"))
    print("preprocess: %d rows -> train %d, validation %d, test %d; %d features"
          % (len(pool) + len(test), len(train), len(validation), len(test), x_train.shape[1]))


def read_channel(path):
    files = sorted(glob.glob(os.path.join(path, "*.csv"))) if os.path.isdir(path) else [path]
    data = pd.concat([pd.read_csv(f, header=None) for f in files]).to_numpy()
    return xgb.DMatrix(data[:, 1:], label=data[:, 0])


def cmd_train(a):
    dtrain = read_channel(a.train)
    dvalidation = read_channel(a.validation)
    params = {
        "objective": "reg:squarederror",
        "tree_method": "hist",
        "max_depth": a.max_depth,
        "eta": a.eta,
        "gamma": a.gamma,
        "min_child_weight": a.min_child_weight,
        "subsample": a.subsample,
        "max_bin": a.max_bin,
        "seed": a.seed,
        "nthread": a.nthread,
    }
    booster = xgb.train(params, dtrain, num_boost_round=a.num_round,
                        evals=[(dtrain, "train"), (dvalidation, "validation")])
    os.makedirs(a.model_dir, exist_ok=True)
    booster.save_model(os.path.join(a.model_dir, "model.json"))


def cmd_infer(a):
    import joblib

    transformer = joblib.load(os.path.join(a.preprocessor, "preprocessor.joblib"))
    booster = xgb.Booster(model_file=os.path.join(a.model, "model.json"))
    booster.set_param({"nthread": a.nthread})
    os.makedirs(a.output, exist_ok=True)
    files = sorted(glob.glob(os.path.join(a.input, "*.csv"))) if os.path.isdir(a.input) else [a.input]
    rows = 0
    for path in files:
        frame = pd.read_csv(path)
        pred = booster.predict(xgb.DMatrix(transformer.transform(frame)))
        out = os.path.join(a.output, os.path.basename(path) + ".out")
        pd.DataFrame({"prediction": pred}).to_csv(out, index=False)
        rows += len(frame)
    print("infer: %d files, %d rows scored" % (len(files), rows))


def cmd_compare(a):
    test = pd.read_csv(a.test, header=None).to_numpy()
    y, x = test[:, 0], test[:, 1:]
    peer = xgb.Booster(model_file=a.peer_model)
    ours = xgb.Booster(model_file=a.our_model)
    peer_pred = peer.predict(xgb.DMatrix(x))
    ours_in_xgb = ours.predict(xgb.DMatrix(x))
    ours_in_go = pd.read_csv(a.our_predictions)["prediction"].to_numpy()
    if len(ours_in_go) != len(y):
        raise SystemExit("compare: %d predictions for %d test rows" % (len(ours_in_go), len(y)))
    print(json.dumps({
        "rows": int(len(y)),
        "peer_mse": float(np.mean((peer_pred - y) ** 2)),
        "our_model_mse_in_xgboost": float(np.mean((ours_in_xgb - y) ** 2)),
        "max_abs_diff": float(np.max(np.abs(ours_in_xgb - ours_in_go))),
    }))


def read_features(paths):
    """The features of header-less CSV splits (target first) as one
    C-contiguous float32 matrix, the type XGBoost stores."""
    files = []
    for path in paths:
        files += sorted(glob.glob(os.path.join(path, "*.csv"))) if os.path.isdir(path) else [path]
    frames = [pd.read_csv(f, header=None, dtype=np.float32).to_numpy()[:, 1:] for f in files]
    return np.ascontiguousarray(np.concatenate(frames))


def cmd_attributions(a):
    start = time.perf_counter()
    x = read_features(a.features)
    booster = xgb.Booster(model_file=a.model)
    booster.set_param({"nthread": a.nthread})
    loaded = time.perf_counter()
    contribs = booster.predict(xgb.DMatrix(x, nthread=a.nthread), pred_contribs=True)
    done = time.perf_counter()
    if contribs.shape != (x.shape[0], x.shape[1] + 1):
        raise SystemExit("attributions: pred_contribs gave shape %s for %s features" % (contribs.shape, x.shape))
    with open(a.timing, "w") as f:
        json.dump({"rows": int(x.shape[0]), "load_seconds": loaded - start, "contribs_seconds": done - loaded}, f)
    print("attributions: %d rows, %d features: load %.2f s, DMatrix and pred_contribs %.2f s"
          % (x.shape[0], x.shape[1], loaded - start, done - loaded))


def cmd_compare_attributions(a):
    with open(a.preprocessor) as f:
        columns = json.load(f)["columns"]
    x = read_features([a.test])[: a.rows]
    booster = xgb.Booster(model_file=a.model)
    contribs = booster.predict(xgb.DMatrix(x), pred_contribs=True).astype(np.float64)
    ours = pd.read_csv(a.our_attributions, nrows=len(x))
    if len(ours) != len(x):
        raise SystemExit("compare-attributions: %d rows of attributions for %d test rows" % (len(ours), len(x)))
    max_diff, first = 0.0, 0
    for c in columns:
        # The Go preprocessor's layout: a numeric column is one feature, a
        # categorical one a one-hot feature per category and one for unseen.
        width = len(c["categorical"]["categories"]) + 1 if c.get("categorical") else 1
        theirs = contribs[:, first:first + width].sum(axis=1)
        max_diff = max(max_diff, float(np.max(np.abs(ours["shap_" + c["column"]].to_numpy() - theirs))))
        first += width
    if first != x.shape[1]:
        raise SystemExit("compare-attributions: the preprocessor makes %d features, the test split has %d" % (first, x.shape[1]))
    print(json.dumps({
        "rows": int(len(x)),
        "max_abs_diff": max_diff,
        "max_abs_diff_expected_value": float(np.max(np.abs(ours["shap_expected_value"].to_numpy() - contribs[:, -1]))),
    }))


def cmd_versions(a):
    import sklearn
    print(json.dumps({
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "sklearn": sklearn.__version__,
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("preprocess")
    s.add_argument("--input", required=True)
    s.add_argument("--test-input", required=True)
    s.add_argument("--schema", required=True)
    s.add_argument("--output", required=True)
    s.add_argument("--train-fraction", type=float, default=0.7)
    s.add_argument("--validation-fraction", type=float, default=0.15)
    s.add_argument("--seed", type=int, default=42)
    s.set_defaults(func=cmd_preprocess)

    s = sub.add_parser("train")
    s.add_argument("--train", required=True)
    s.add_argument("--validation", required=True)
    s.add_argument("--model-dir", required=True)
    s.add_argument("--max-depth", type=int, default=5)
    s.add_argument("--eta", type=float, default=0.2)
    s.add_argument("--gamma", type=float, default=4)
    s.add_argument("--min-child-weight", type=float, default=6)
    s.add_argument("--subsample", type=float, default=0.7)
    s.add_argument("--num-round", type=int, default=50)
    s.add_argument("--max-bin", type=int, default=256)
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--nthread", type=int, default=2)
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("infer")
    s.add_argument("--input", required=True)
    s.add_argument("--preprocessor", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--output", required=True)
    s.add_argument("--nthread", type=int, default=2)
    s.set_defaults(func=cmd_infer)

    s = sub.add_parser("compare")
    s.add_argument("--test", required=True)
    s.add_argument("--peer-model", required=True)
    s.add_argument("--our-model", required=True)
    s.add_argument("--our-predictions", required=True)
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("attributions")
    s.add_argument("--features", required=True, nargs="+")
    s.add_argument("--model", required=True)
    s.add_argument("--timing", required=True)
    s.add_argument("--nthread", type=int, default=2)
    s.set_defaults(func=cmd_attributions)

    s = sub.add_parser("compare-attributions")
    s.add_argument("--test", required=True)
    s.add_argument("--model", required=True)
    s.add_argument("--preprocessor", required=True)
    s.add_argument("--our-attributions", required=True)
    s.add_argument("--rows", type=int, default=10000)
    s.set_defaults(func=cmd_compare_attributions)

    s = sub.add_parser("versions")
    s.set_defaults(func=cmd_versions)

    a = p.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
