"""``xraynet evaluate``: score a saved model on a new labelled set (external validation)."""

from pathlib import Path

from ._common import (
    CLIError,
    _add_trust_pickle,
    _add_verbose,
    _load_classifier,
    _load_table,
    _probability,
    _progress,
    _seed,
    _takes_paths,
)
from ._results import ResultsFolder

_EVALUATE_EPILOG = """\
MODEL is a file written by 'xraynet compare' (or xraynet.models.save_model);
it is not refitted. TEST is a folder of class sub-folders (normal first, as
for compare) or a CSV table with a path and a label column. Written to --out:
metrics.json (metrics with 95 % CIs at the model's stored threshold and at
0.5, provenance), predictions.csv, report.html and its figures,
model_card.md and test_stress.csv (unless --no-stress).

examples:
  xraynet evaluate results/model.keras hospital_b/ --out results_hospital_b
  xraynet evaluate results/model.skops labels.csv --label-column finding --out ext
"""


def add_evaluate_parser(sub, fmt):
    """Register ``xraynet evaluate`` on the sub-parsers ``sub``."""
    ev = sub.add_parser(
        "evaluate",
        formatter_class=fmt,
        epilog=_EVALUATE_EPILOG,
        help="score a saved model on a new labelled set (external validation)",
        description="Score a saved model on a labelled folder or CSV table and write a report.",
    )
    ev.add_argument("model", metavar="MODEL", help="saved model (.xraynet, .skops or .keras)")
    ev.add_argument(
        "test",
        metavar="TEST_DIR_OR_CSV",
        help="folder of class sub-folders, or a CSV table of paths and labels",
    )
    ev.add_argument("--out", required=True, metavar="DIR", help="results folder")
    ev.add_argument(
        "--path-column",
        default="path",
        metavar="COL",
        help="CSV column of the image paths (default: path)",
    )
    ev.add_argument(
        "--label-column",
        default="label",
        metavar="COL",
        help="CSV column of the labels (default: label)",
    )
    ev.add_argument(
        "--threshold",
        type=_probability,
        metavar="T",
        help="decision threshold on P(disease) (default: the model's own)",
    )
    ev.add_argument("--no-stress", action="store_true", help="skip the stress test")
    ev.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seed of the bootstrap and stress test (default: 0)",
    )
    _add_trust_pickle(ev)
    ev.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    _add_verbose(ev)
    ev.set_defaults(func=_cmd_evaluate)
    return ev


def _load_test(args):
    from xraynet.datasets import load_image_folder

    test = Path(args.test)
    if not test.exists():
        raise CLIError(f"TEST_DIR_OR_CSV {args.test!r} does not exist")
    try:
        if not test.is_dir():  # the compare CLI's reader: a missing file is an error
            return _load_table(
                test,
                "TEST_DIR_OR_CSV",
                path_column=args.path_column,
                label_column=args.label_column,
            )
        data = load_image_folder(test)
    except (ValueError, KeyError, OSError) as exc:
        raise CLIError(f"TEST_DIR_OR_CSV {args.test!r}: {' '.join(str(exc).split())}") from exc
    return data


def _cmd_evaluate(args):
    import numpy as np

    from xraynet.report import evaluate_model

    model = _load_classifier(args.model, trusted=args.trust_pickle)
    data = _load_test(args)
    names = [str(n) for n in data.target_names]
    n_classes = len(getattr(model, "classes_", []))
    if len(names) != n_classes:
        raise CLIError(
            f"TEST_DIR_OR_CSV {args.test!r} has {len(names)} classes "
            f"({', '.join(names)}); the model has {n_classes}"
        )
    X = np.asarray(data.filenames, dtype=object)
    if not _takes_paths(model):
        from xraynet.io import ImageLoader
        from xraynet.utils import fitted_input_shape

        shape = fitted_input_shape(model)
        if shape is None:
            raise CLIError(f"MODEL {args.model!r}: cannot tell the image size it takes")
        from sklearn.pipeline import Pipeline

        loader = ImageLoader(size=shape[:2], color="rgb" if shape[2] == 3 else "grayscale")
        model = Pipeline([("load", loader), ("model", model)])  # predictions.csv keeps paths
    _progress(
        args,
        f"evaluating {args.model} on {args.test}: {len(data.target)} images "
        f"{np.bincount(data.target).tolist()}",
    )
    groups = getattr(data, "groups", None)
    extra = {"model_file": str(args.model)}
    n_ids = 0 if groups is None else len(np.unique(np.asarray(groups).astype(str)))
    if 0 < n_ids < len(data.target):  # one id per file (as compare reads it): no patient ids
        extra["n_patients"] = int(n_ids)
    provenance = {
        "command": " ".join(["xraynet"] + list(args.argv)),
        "data_source": str(args.test),
        "extra": extra,
    }
    with ResultsFolder(args.out) as staging:
        m = evaluate_model(
            model,
            X,
            data.target,
            staging,
            target_names=names,
            threshold=args.threshold,
            stress=not args.no_stress,
            random_state=args.random_state,
            provenance=provenance,
        )
    print(
        f"{len(data.target)} images at threshold {m['threshold']:.3f}: AUC {m['roc_auc']:.3f} "
        f"[{m['ci95']['roc_auc'][0]:.3f}, {m['ci95']['roc_auc'][1]:.3f}]  sensitivity "
        f"{m['sensitivity']:.3f}  specificity {m['specificity']:.3f}"
        if "ci95" in m
        else f"{len(data.target)} images: AUC {m['roc_auc']:.3f}"
    )
    print(f"wrote metrics.json, predictions.csv, report.html, model_card.md to {args.out}")
    return 0
