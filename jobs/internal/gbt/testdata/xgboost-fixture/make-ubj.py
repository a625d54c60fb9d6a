#!/usr/bin/python3
"""Saves the JSON fixture models as UBJSON, with XGBoost itself.

Run from this folder with Debian's python3-xgboost (1.7.4):
    /usr/bin/python3 make-ubj.py
XGBoost loads each *-model.json and saves it with
Booster.save_model("*-model.ubj"), XGBoost's UBJSON format, then checks
that the UBJSON model predicts exactly what the JSON one does on
regression-features.csv (the one-hot Sex columns included). It also
saves the binary model's first two trees as binary-2trees-model.ubj.
"""
import numpy as np
import xgboost as xgb

x = np.loadtxt("regression-features.csv", delimiter=",", dtype=np.float32)
rows = xgb.DMatrix(x)
for name in ("regression", "binary"):
    b = xgb.Booster(model_file=f"{name}-model.json")
    b.save_model(f"{name}-model.ubj")
    back = xgb.Booster(model_file=f"{name}-model.ubj")
    assert np.array_equal(b.predict(rows), back.predict(rows)), name
    want = np.loadtxt(f"{name}-predictions.csv", dtype=np.float64)
    assert np.allclose(back.predict(rows), want, rtol=0, atol=1e-6), name

# The first two trees of the binary model, small enough for the fuzzer to
# mutate quickly (FuzzUBJSON).
b = xgb.Booster(model_file="binary-model.json")
b[0:2].save_model("binary-2trees-model.ubj")
