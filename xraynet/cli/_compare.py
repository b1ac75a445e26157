"""``xraynet compare``: cross-validate the zoo, evaluate the winner, write the results."""

import argparse
import sys
import time
from pathlib import Path

from ._common import (
    PROG,
    CLIError,
    _add_max_pixels,
    _add_verbose,
    _n_jobs,
    _positive_int,
    _progress,
    _seed,
    _unwrap_loader,
    _version,
)
from ._compare_data import _load_data
from ._results import ResultsFolder

_MODEL_STEM = "model"

_COMPARE_EPILOG = """\
models (--models, default: all):
{models}

what it does:
  1. loads the data: a folder of class sub-folders, or a labels CSV
     (--labels: one row per image, --path-column and --label-column; relative
     paths are read from the CSV's folder); images are decoded once, to
     --size pixels, grayscale; the normal class is the sub-folder or label so
     named, or --normal NAME;
  2. cross-validates every model on the same stratified folds (grouped by
     patient: --patient-column of the CSV, else --patient-pattern, else the
     DICOM PatientID tag or Kermany-style names (personN_..., IM-NNNN-...);
     the progress line and metrics.json's
     'grouping' say when grouping is off), scores every held-out fold clean and under
     simulated acquisition shifts, and ranks by the balanced accuracy under
     shift; a failing model is reported in the 'error' column and the others
     go on;
  3. the winner is the average of its fold models, at the decision threshold
     that maximises sensitivity + specificity on its out-of-fold predictions
     pooled over the clean and shifted held-out folds (plain out-of-fold
     predictions with --no-stress);
     it is evaluated once on the test split (--test, PneumoniaMNIST's test
     split, or else 20% of the patients held out before cross-validation)
     and stress-tested there;
  4. writes to --out (all at once, at the end): leaderboard.csv,
     cv_stress.csv, test_stress.csv, metrics.json (with the provenance
     record), test_metrics.csv, test_predictions.csv (one row per test
     image: path, or index for PneumoniaMNIST, true class, p_disease and the
     class predicted at the stored threshold), model_card.md, the winner
     (model.xraynet, model.skops or model.keras: safe to load; reload with
     xraynet.load_model), report.html and its PNG figures.

examples:
  xraynet compare --dataset pneumoniamnist --out results     # the main job, ~7 min on 2 CPUs
  xraynet compare --dataset pneumoniamnist --quick           # smoke test, 1-2 min
  xraynet compare chest_xray/train --test chest_xray/test --models hog_svm,seed_cnn
  xraynet compare my_folder --cv 5 --size 128 --epochs 20 --n-jobs 2
  xraynet compare --labels labels.csv --label-column finding --patient-column patient
"""


def add_compare_parser(sub, fmt):
    """Register ``xraynet compare`` on the sub-parsers ``sub``."""
    from xraynet.model_selection import describe_models

    models = "\n".join(f"  {k:<14} {v}" for k, v in describe_models().items())
    cmp = sub.add_parser(
        "compare",
        formatter_class=fmt,
        epilog=_COMPARE_EPILOG.format(models=models),
        help="cross-validate the model zoo, refit the winner, evaluate it on a test split",
        description="Cross-validate the model zoo on a class-folder tree, a labels "
        "CSV or PneumoniaMNIST, refit the best model and evaluate it on a test split.",
    )
    cmp.add_argument(
        "data_dir",
        nargs="?",
        metavar="DATA_DIR",
        help="folder with one sub-folder of images per class "
        "(e.g. chest_xray/train with NORMAL/ and PNEUMONIA/); or give --labels",
    )
    cmp.add_argument(
        "--labels",
        metavar="CSV",
        help="instead of DATA_DIR: a CSV table with one row per image, its path "
        "(absolute, or relative to the CSV's folder) and its label",
    )
    cmp.add_argument(
        "--path-column",
        metavar="COL",
        help="column of the image paths in --labels and a CSV --test (default: path)",
    )
    cmp.add_argument(
        "--label-column",
        metavar="COL",
        help="column of the labels in --labels and a CSV --test (default: label)",
    )
    cmp.add_argument(
        "--patient-column",
        metavar="COL",
        help="column of patient ids in --labels, for patient-grouped folds and "
        "the patient hold-out (default: from the file names, as for DATA_DIR)",
    )
    cmp.add_argument(
        "--dataset",
        choices=["pneumoniamnist"],
        help="use a public data set (downloaded once) instead of DATA_DIR (train+val for "
        "cross-validation, its test split for evaluation)",
    )
    cmp.add_argument(
        "--test",
        metavar="DIR_OR_CSV",
        help="test images: a class-folder tree or a labels CSV (same classes as "
        "the training data; default: 20%% of the patients held out)",
    )
    cmp.add_argument(
        "--models",
        metavar="A,B,...",
        help="comma-separated zoo model names (default: all but mobilenetv2 below 64 px; see below)",
    )
    cmp.add_argument(
        "--cv",
        type=_positive_int,
        default=3,
        metavar="K",
        help="number of cross-validation folds (default: 3)",
    )
    cmp.add_argument(
        "--size",
        type=_positive_int,
        metavar="PX",
        help="image side in pixels (default: 64 for folders, 28 for "
        "PneumoniaMNIST, whose other sizes are 64, 128, 224)",
    )
    cmp.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="training epochs of the Keras models (default: per model)",
    )
    cmp.add_argument(
        "--groups",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="patient-grouped CV when patient ids are known (--patient-column, "
        "--patient-pattern, the DICOM PatientID tag or Kermany-style file "
        "names), so no patient is in two folds (default: on)",
    )
    cmp.add_argument(
        "--patient-pattern",
        metavar="REGEX",
        help="patient id from each file name: the first group of REGEX, e.g. "
        "'^(\\d{8})_' for NIH's 00000001_000.png (default: the DICOM PatientID "
        "tag, else Kermany-style names)",
    )
    cmp.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="decode every image first and leave out the ones that cannot be "
        "read, listed on stderr and in metrics.json (default: an unreadable "
        "file makes the models that meet it fail)",
    )
    cmp.add_argument(
        "--normal",
        metavar="NAME",
        help="the class sub-folder or label of normal images (target 0), for class "
        "names xraynet does not recognise as normal (default: the one "
        "named normal, healthy, negative, control(s) or no finding)",
    )
    cmp.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="folds trained in parallel (default: 1; -1 = all cores)",
    )
    cmp.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seed of the folds and the models (default: 0)",
    )
    cmp.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 400 training images (120 from a folder), 1 epoch, small models",
    )
    cmp.add_argument(
        "--out", default="results", metavar="DIR", help="output folder (default: results/)"
    )
    cmp.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder of downloaded data sets (default: $XRAYNET_DATA, else ~/xraynet_data)",
    )
    cmp.add_argument(
        "--no-stress",
        action="store_true",
        help="skip the acquisition stress test (rank by clean ROC AUC)",
    )
    cmp.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    _add_max_pixels(cmp)
    _add_verbose(cmp)
    cmp.set_defaults(func=_cmd_compare)

    return cmp


def _pick_models(args, size):
    from xraynet.model_selection import default_models

    names = None  # the default comparison at this size; --models was checked by _check_args
    if args.models:
        names = list(dict.fromkeys(m.strip() for m in args.models.split(",") if m.strip()))
    models = default_models(
        image_size=size,
        random_state=args.random_state,
        quick=args.quick,
        epochs=args.epochs,
        names=names,
    )
    if not args.quiet and args.n_jobs in (None, 1):  # an epoch bar under the fold bar
        from xraynet.utils import is_keras_estimator

        for model in models.values():  # (bars from parallel workers would garble)
            if is_keras_estimator(model):
                model.set_params(verbose=1)
    return models


def _format_board(board):
    import pandas as pd

    metrics = [
        m
        for m in (
            "roc_auc",
            "balanced_accuracy",
            "sensitivity",
            "specificity",
            "shifted_balanced_accuracy",
            "shifted_roc_auc",
            "worst_specificity",
        )
        if f"{m}_mean" in board.columns
    ]
    short = {
        "balanced_accuracy": "bal_acc",
        "shifted_balanced_accuracy": "shift_bal_acc",
        "shifted_roc_auc": "shift_auc",
        "worst_specificity": "worst_spec",
    }
    view = pd.DataFrame(index=board.index)
    for m in metrics:
        mean, sd = board[f"{m}_mean"], board[f"{m}_sd"]
        view[short.get(m, m)] = [
            ("    nan" if pd.isna(a) else f"{a:.3f}±{b:.3f}") for a, b in zip(mean, sd)
        ]
    view["fit_s"] = board["fit_time"].map(lambda t: "nan" if pd.isna(t) else f"{t:.1f}")
    if board["error"].astype(bool).any():
        view["error"] = board["error"].str.slice(0, 60)
    return view.to_string()


def _save_winner(model, out_dir):
    from xraynet.models import save_model

    return Path(save_model(model, out_dir / _MODEL_STEM))


MAX_SIZE = 1024  # px; a larger --size asks for hundreds of GiB


def _check_args(args):
    """Cheap argument checks, before anything heavy is imported."""
    given = [
        name
        for name, value in (
            ("DATA_DIR", args.data_dir),
            ("--labels", args.labels),
            ("--dataset", args.dataset),
        )
        if value
    ]
    if len(given) > 1:
        raise CLIError(
            f"give one of DATA_DIR, --labels CSV or --dataset, not {' and '.join(given)}"
        )
    if args.dataset and args.test:
        raise CLIError("--test applies to DATA_DIR or --labels; --dataset has its own test split")
    if args.patient_column and not args.labels:
        raise CLIError("--patient-column names a column of --labels CSV; DATA_DIR has no columns")
    if args.patient_column and args.patient_pattern:
        raise CLIError(
            "give --patient-column (patient ids in the CSV) or --patient-pattern "
            "(patient ids from file names), not both"
        )
    tables = [p for p in (args.labels, args.test) if p and not Path(p).is_dir()]
    for option in ("--path-column", "--label-column"):
        if getattr(args, option[2:].replace("-", "_")) and not tables:
            raise CLIError(f"{option} names a column of --labels or of a CSV --test")
    if args.size is not None and args.size > MAX_SIZE:
        raise CLIError(
            f"--size {args.size}: at most {MAX_SIZE} px (the networks train on size x size "
            "images; 64-256 is usual)"
        )
    if args.dataset and (args.patient_pattern or args.skip_unreadable):
        raise CLIError(
            "--patient-pattern and --skip-unreadable apply to DATA_DIR or --labels; "
            "PneumoniaMNIST has no files or patient ids"
        )
    if args.dataset and args.normal:
        raise CLIError(
            "--normal names a class of DATA_DIR or --labels; "
            "PneumoniaMNIST's classes are fixed (normal, pneumonia)"
        )
    if not given:
        raise CLIError(
            "give a DATA_DIR (a folder of class sub-folders), --labels CSV (a table of "
            "paths and labels) or --dataset pneumoniamnist"
        )
    for what, path in (
        ("DATA_DIR", args.data_dir),
        ("--data-home", args.data_home),
    ):
        if path is not None and not Path(path).is_dir():
            raise CLIError(f"{what} {path!r} is not a folder")
    if args.labels is not None and not Path(args.labels).is_file():
        raise CLIError(f"--labels {args.labels!r} is not a file (a CSV table)")
    if args.test is not None and not Path(args.test).exists():
        raise CLIError(f"--test {args.test!r} does not exist (a folder or a CSV table)")
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise CLIError(f"--out {args.out!r} exists and is not a folder")
    if args.cv < 2:
        raise CLIError(f"--cv must be at least 2; got {args.cv}")
    if args.models is not None:
        from xraynet.model_selection import available_models

        wanted = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in wanted if m not in available_models()]
        if unknown or not wanted:
            raise CLIError(
                f"unknown model name(s) {', '.join(unknown) or repr(args.models)}; "
                f"choose from {', '.join(available_models())}"
            )


def _check_cv(cv, y, groups):
    """``--cv`` against the data: every fold needs an image (a patient) of every class."""
    import numpy as np

    classes, counts = np.unique(y, return_counts=True)
    if groups is None:
        limit, what = int(counts.min()), "images in the smallest class"
    else:
        groups = np.asarray(groups)
        limit = min(len(np.unique(groups[y == c])) for c in classes)
        what = "patients in the smallest class"
    if cv > limit:
        raise CLIError(
            f"--cv {cv} is larger than the {limit} {what} of the training "
            f"split; use --cv {limit} or fewer (at least 2)"
            if limit >= 2
            else f"--cv {cv}: the training split has only {limit} {what}; "
            "cross-validation needs at least 2"
        )


def _cmd_compare(args):
    _check_args(args)
    with ResultsFolder(args.out) as staging:
        return _compare_into(args, staging)


def _compare_into(args, staging):
    import numpy as np

    from xraynet.model_selection import ModelComparison, evaluate

    t_start = time.perf_counter()
    data = _load_data(args)
    if data.get("skipped"):
        shown = ", ".join(data["skipped"][:10]) + (" ..." if len(data["skipped"]) > 10 else "")
        print(
            f"{PROG}: warning: --skip-unreadable left out {len(data['skipped'])} "
            f"unreadable file(s): {shown}",
            file=sys.stderr,
        )
    _check_cv(args.cv, data["y"], data["groups"])
    models = _pick_models(args, data["size"])
    _progress(
        args,
        f"data: {data['source']}: {len(data['y'])} training images "
        f"{np.bincount(data['y']).tolist()}, {len(data['y_test'])} test images; "
        f"{args.cv}-fold CV"
        f", grouping {data['grouping']},"
        f" of {len(models)} models: {', '.join(models)}",
    )
    comparison = ModelComparison(
        models,
        cv=args.cv,
        n_jobs=args.n_jobs,
        loader=data["loader"],
        stress=not args.no_stress,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    ).fit(data["X"], data["y"], groups=data["groups"])
    board = comparison.leaderboard_
    print(f"\nleaderboard (mean±sd over folds, ranked by {comparison.rank_by_}):")
    print(_format_board(board), flush=True)
    winner_name, winner = comparison.best_name_, comparison.best_estimator_
    if winner is None:
        raise CLIError("every model failed; see the error column above")

    board.to_csv(staging / "leaderboard.csv")
    if comparison.stress_results_ is not None:
        comparison.stress_results_.to_csv(staging / "cv_stress.csv", index=False)
    _progress(args, "evaluating the winner on the test split ...")
    inner, X_test = _unwrap_loader(winner, data["X_test"])  # decode test files once
    test = evaluate(inner, X_test, data["y_test"], target_names=data["target_names"])
    proba = test.pop("proba")
    _write_test_predictions(staging, data, proba, test["threshold"])
    stress = None
    if not args.no_stress:
        from xraynet.robustness import stress_test

        _progress(args, "stress test of the winner on the test split ...")
        stress = stress_test(inner, X_test, data["y_test"], random_state=args.random_state)
        stress.to_csv(staging / "test_stress.csv", index=False)
    model_path = _save_winner(winner, staging)
    command = " ".join(["xraynet"] + list(args.argv))
    from xraynet.report import provenance_record, to_strict_json, write_model_card

    provenance = provenance_record(
        command=command,
        random_state=args.random_state,
        data_source=data["source"],
        y=data["y"],
        target_names=data["target_names"],
        groups=data["groups"],
        models=models,
        selection_rule=comparison.rank_by_,
        threshold=comparison.threshold_,
        threshold_rule=comparison.threshold_rule_,
        extra={
            "model": winner_name,
            "cv": args.cv,
            "n_train": int(len(data["y"])),
            "n_test": int(len(data["y_test"])),
            "dataset": getattr(args, "dataset", None),
        },
    )
    report = _write_report(
        args, staging, comparison, inner, X_test, proba, data, stress, provenance
    )
    elapsed = time.perf_counter() - t_start
    metrics = {
        "xraynet_version": _version(),
        "command": command,
        "data": data["source"],
        "image_size": data["size"],
        "n_train": int(len(data["y"])),
        "n_test": int(len(data["y_test"])),
        "target_names": data["target_names"],
        "cv": args.cv,
        "grouped_cv": data["groups"] is not None,
        "grouping": data["grouping"],
        "skipped_files": data.get("skipped", []),
        "quick": bool(args.quick),
        "models": list(models),
        "rank_by": comparison.rank_by_,
        "winner": winner_name,
        "winner_is": (
            "average of the fold models"
            if comparison.ensemble == "folds"
            else "refit on all training images"
        ),
        "threshold": comparison.threshold_,
        "threshold_rule": comparison.threshold_rule_,
        "model_file": model_path.name,
        "random_state": args.random_state,
        "cv_scores": {
            k: (None if isinstance(v, float) and np.isnan(v) else v)
            for k, v in board.loc[winner_name].items()
        },
        "test": test,
        "elapsed_s": round(elapsed, 1),
    }
    if stress is not None:
        from xraynet.robustness import stress_summary

        metrics["test_stress_summary"] = stress_summary(stress)
    metrics["provenance"] = provenance
    write_model_card(staging, provenance, test, model_name=winner_name)
    (staging / "metrics.json").write_text(to_strict_json(metrics) + "\n")
    print(
        f"\nwinner: {winner_name} (threshold {comparison.threshold_:.3f}); test split "
        f"({len(data['y_test'])} images): ACC {test['accuracy']:.3f}  AUC "
        f"{test['roc_auc']:.3f}  sensitivity {test['sensitivity']:.3f}  specificity "
        f"{test['specificity']:.3f}"
    )
    print(
        f"wrote leaderboard.csv, metrics.json, {model_path.name}"
        + (", report.html" if report else "")
        + f" to {args.out}  ({elapsed:.0f} s)"
    )
    return 0


def _write_test_predictions(out_dir, data, proba, threshold):
    """test_predictions.csv: one row per test image, as the winner classified it."""
    import numpy as np
    import pandas as pd

    names = np.asarray(data["target_names"], dtype=object)
    proba = np.asarray(proba, dtype=float)
    if proba.shape[1] == 2:  # binary: the stored threshold on P(disease)
        p_disease, k = proba[:, 1], (proba[:, 1] >= threshold).astype(int)
    else:  # several disease classes: P(disease) = 1 - P(normal), the most probable class
        p_disease, k = 1.0 - proba[:, 0], proba.argmax(axis=1)
    first = (
        ("path", [str(f) for f in data["X_test"]])
        if data["loader"] is not None
        else ("index", np.arange(len(proba)))
    )
    pd.DataFrame(
        {
            first[0]: first[1],
            "true": names[np.asarray(data["y_test"])],
            "p_disease": np.round(p_disease, 6),
            "predicted": names[k],
        }
    ).to_csv(out_dir / "test_predictions.csv", index=False)


def _write_report(args, out_dir, comparison, model, X_test, proba, data, stress, provenance):
    """report.html; a failure is reported, not fatal."""
    from xraynet.report import write_report

    _progress(args, "writing report.html ...")
    try:
        return write_report(
            out_dir,
            comparison,
            estimator=model,
            X_test=X_test,
            y_test=data["y_test"],
            y_score=proba,
            target_names=data["target_names"],
            stress_results=stress,
            provenance=provenance,
        )
    except Exception as exc:  # noqa: BLE001 - the results are written already
        msg = " ".join(str(exc).split())
        print(
            f"{PROG}: warning: report.html not written: {type(exc).__name__}: {msg}",
            file=sys.stderr,
        )
        return None
