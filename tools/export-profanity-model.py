#!/usr/bin/env python3
"""Exports the alt-profanity-check model into Charter's plain data file (issue 14 item 1).

Run once, by hand, when the model is to be updated; Charter never downloads anything at run
time. It needs the wheel's joblib files and scikit-learn/joblib at the versions the package
pins (1.9.1 / 1.6.0):

    pip download alt-profanity-check==1.9.1 --no-deps -d /tmp/prof
    unzip /tmp/prof/alt_profanity_check-1.9.1-py3-none-any.whl -d /tmp/prof/whl
    pip install --target /tmp/prof/py scikit-learn==1.9.1 joblib==1.6.0
    PYTHONPATH=/tmp/prof/py python3 tools/export-profanity-model.py /tmp/prof/whl

It writes
  crates/engine/data/abuse_model/model.tsv      vocabulary, idf and the five folds' weights
  crates/engine/data/abuse_model/LICENSE        the package's MIT licence, copied
  crates/engine/tests/data/abuse_model_reference.tsv
                                                the Python scores of the evaluation set and a
                                                few edge cases, which the Rust test compares
"""

import os
import shutil
import sys

import joblib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTRA = [
    "",
    "!!!",
    "a",
    "I I I I",
    "Ünïcödé wörds ärë hére, naïve café",
    "snake_case_words and CamelCase and ALLCAPS SHIT",
    "fuck fuck fuck fuck",
    "tab\tseparated\nnew lines",
    "numbers 123 4567 and 9",
]


def main(wheel_dir):
    data = os.path.join(wheel_dir, "profanity_check", "data")
    vec = joblib.load(os.path.join(data, "vectorizer.joblib"))
    model = joblib.load(os.path.join(data, "model.joblib"))
    params = vec.get_params()
    # The Rust side implements exactly these; refuse to export anything else.
    assert params["analyzer"] == "word" and params["lowercase"]
    assert params["token_pattern"] == r"(?u)\b\w\w+\b" and params["ngram_range"] == (1, 1)
    assert params["norm"] == "l2" and params["use_idf"] and params["smooth_idf"]
    assert not params["sublinear_tf"] and params["strip_accents"] is None
    assert model.method == "sigmoid" and list(model.classes_) == [0, 1]
    folds = model.calibrated_classifiers_
    out = os.path.join(ROOT, "crates", "engine", "data", "abuse_model")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.tsv"), "w", encoding="utf-8") as f:
        f.write("# alt-profanity-check 1.9.1 (MIT, see LICENSE here), exported by\n")
        f.write("# tools/export-profanity-model.py. TF-IDF (lowercase, tokens (?u)\\b\\w\\w+\\b,\n")
        f.write("# unigrams, raw tf, smooth idf, l2 norm) then the mean over folds of\n")
        f.write("# 1 / (1 + exp(a * (w.x + b) + c)) (LinearSVC, sigmoid calibration).\n")
        f.write("# @fold lines: b a c. Then one line a word: word idf weight-per-fold.\n")
        f.write(f"@folds\t{len(folds)}\n")
        for c in folds:
            (cal,) = c.calibrators
            f.write(
                f"@fold\t{float(c.estimator.intercept_[0])!r}\t{float(cal.a_)!r}\t{float(cal.b_)!r}\n"
            )
        terms = sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])
        for term, col in terms:
            ws = "\t".join("%.7g" % c.estimator.coef_[0, col] for c in folds)
            f.write(f"{term}\t{'%.7g' % vec.idf_[col]}\t{ws}\n")
    lic = os.path.join(wheel_dir, "alt_profanity_check-1.9.1.dist-info", "licenses", "LICENSE")
    shutil.copy(lic, os.path.join(out, "LICENSE"))

    eval_path = os.path.join(ROOT, "crates", "engine", "tests", "data", "text_eval.tsv")
    sentences = [
        line.rstrip("\n").split("\t", 1)[1]
        for line in open(eval_path, encoding="utf-8")
        if line.strip() and not line.startswith("#")
    ]
    sentences += EXTRA
    # One sentence a line in the reference file: tabs and new lines (not word characters, so
    # the tokens do not change) become spaces before scoring.
    sentences = [s.replace("\t", " ").replace("\n", " ") for s in sentences]
    probs = model.predict_proba(vec.transform(sentences))[:, 1]
    ref = os.path.join(ROOT, "crates", "engine", "tests", "data", "abuse_model_reference.tsv")
    with open(ref, "w", encoding="utf-8") as f:
        f.write("# Python scores (alt-profanity-check 1.9.1 predict_proba) of the evaluation\n")
        f.write("# set and edge cases, written by tools/export-profanity-model.py.\n")
        for s, p in zip(sentences, probs):
            f.write(f"{float(p)!r}\t{s}\n")
    print(f"{len(terms)} terms, {len(folds)} folds, {len(sentences)} reference scores")


if __name__ == "__main__":
    main(sys.argv[1])
