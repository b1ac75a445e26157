"""``xraynet predict``: classify image files with a saved model."""

import json
import sys
from pathlib import Path

from ._common import (
    PROG,
    CLIError,
    _add_max_pixels,
    _add_trust_pickle,
    _add_verbose,
    _load_classifier,
    _option_message,
    _Parser,
    _positive_int,
    _probability,
    _takes_paths,
)

_BATCH = 64  # files decoded and classified per predict_proba call


class _IntermixedParser(_Parser):
    """predict's parser: IMAGE arguments may also follow the options.

    With plain ``parse_args`` the ``nargs='*'`` IMAGE list is taken (empty)
    right after MODEL, so ``xraynet predict MODEL --format csv a.png`` failed
    with "unrecognized arguments: a.png". ``parse_known_intermixed_args``
    reads the options first, then the positionals; it calls
    ``parse_known_args`` itself, hence the guard.
    """

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


_PREDICT_EPILOG = """\
MODEL is a file written by 'xraynet compare' (or xraynet.models.save_model).
A model trained on a folder takes image files of any size and format; a model
trained on PneumoniaMNIST gets the files resized to its input size.
IMAGE may be a folder: its image files (and DICOM files of any name),
recursively, in sorted order (hidden files and folders skipped); --from-file
reads paths, one per line. Images are classified 64 at a time; an image that
cannot be read, or for which the model gives no finite probability, is
reported by name on stderr, the others are still classified, and the exit
status is then 1.
Output: a header, then one line per image: path, P(disease) (1 - P(normal)
for several disease classes) and the predicted class: at the model's stored
decision threshold (--threshold to override) for a two-class model, the most
probable class for a model of more classes (--threshold is refused there). Pickle/joblib model files are
refused unless --trust-pickle: unpickling runs any code the file contains.

examples:
  xraynet predict results/model.xraynet scan1.jpeg scan2.png
  xraynet predict results/model.xraynet chest_xray/test > predictions.tsv
  xraynet predict results/model.skops --from-file scans.txt --format json
  xraynet predict results/model.keras --classes normal,pneumonia --format csv img/*.jpeg
"""


def add_predict_parser(sub, fmt):
    """Register ``xraynet predict`` on the sub-parsers ``sub``."""
    pred = sub.add_parser(
        "predict",
        formatter_class=fmt,
        epilog=_PREDICT_EPILOG,
        help="classify image files or folders with a saved model",
        description="Print P(disease) and the predicted class of each image file.",
    )
    pred.__class__ = _IntermixedParser  # add_parser builds every sub-parser with one class
    pred.add_argument("model", metavar="MODEL", help="saved model (.xraynet, .skops or .keras)")
    pred.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files, or folders: their image files (.jpg .jpeg .png "
        ".bmp .tif .tiff .dcm .dicom, and DICOM files of any name), "
        "recursively, in sorted order, hidden files and folders skipped",
    )
    pred.add_argument(
        "--from-file",
        metavar="LIST",
        dest="from_file",
        help="text file of image paths (or folders), one per line; blank "
        "lines and lines starting with '#' are skipped",
    )
    pred.add_argument(
        "--size",
        type=_positive_int,
        metavar="PX",
        help="resize images to PX pixels, for a model that takes arrays and "
        "does not record its input size (default: the model's input size; "
        "a different PX is refused)",
    )
    pred.add_argument(
        "--classes",
        metavar="A,B,...",
        help="class names, normal first (default: from metrics.json next "
        "to MODEL, else the labels)",
    )
    pred.add_argument(
        "--threshold",
        type=_probability,
        metavar="T",
        help="decision threshold on P(disease) of a two-class model (default: "
        "the model's own, chosen by compare; 0.5 for other models)",
    )
    pred.add_argument(
        "--format",
        choices=["tsv", "csv", "json"],
        default="tsv",
        help="output format (default: tsv)",
    )
    _add_trust_pickle(pred)
    _add_max_pixels(pred)
    _add_verbose(pred)
    pred.set_defaults(func=_cmd_predict)
    return pred


def _class_names(args, model):
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if args.classes:
        names = [c.strip() for c in args.classes.split(",")]
        if not all(names) or len(set(names)) != len(names):
            raise CLIError(
                f"--classes {args.classes!r}: class names must be distinct and not empty"
            )
        if len(names) != len(classes):
            raise CLIError(f"--classes names {len(names)} classes; the model has {len(classes)}")
        return names
    sidecar = Path(args.model).with_name("metrics.json")
    if sidecar.is_file():
        try:
            doc = json.loads(sidecar.read_text())
        except (OSError, ValueError, RecursionError):
            doc = None  # not compare's metrics.json: the labels will do
        names = doc.get("target_names") if isinstance(doc, dict) else None
        if (
            isinstance(names, list)
            and len(names) == len(classes)
            and all(isinstance(n, str) for n in names)
        ):
            return names
    return classes


def _cmd_predict(args):
    import numpy as np

    from xraynet.io import ImageLoader, ImageLoadError
    from xraynet.utils import decision_threshold

    images = _image_paths(args)
    model = _load_classifier(args.model, trusted=args.trust_pickle)
    names = _class_names(args, model)
    if len(names) > 2 and args.threshold is not None:
        raise CLIError(
            f"--threshold applies to two-class models; MODEL {str(args.model)!r} has "
            f"{len(names)} classes ({', '.join(names)}) and predicts the most probable one"
        )
    if args.threshold is not None:
        threshold = args.threshold
    else:
        try:
            threshold = decision_threshold(model)
        except ValueError as exc:  # a hand-edited or corrupt threshold_
            raise CLIError(f"MODEL {str(args.model)!r}: {exc}") from None
    if len(names) > 2:
        threshold = None  # argmax: no threshold is used
    _check_size(args, model)
    loader = None
    if not _takes_paths(model):
        from xraynet.utils import fitted_input_shape

        shape = fitted_input_shape(model)
        size = args.size or (shape[:2] if shape else None)
        if size is None:
            raise CLIError("cannot tell the image size this model takes; give --size PX")
        loader = ImageLoader(size=size, color="rgb" if shape and shape[2] == 3 else "grayscale")
        if args.max_pixels is not None:
            loader.set_params(max_pixels=args.max_pixels)
    elif args.max_pixels is not None:  # the model's own loader reads the files
        model.steps[0][1].set_params(max_pixels=args.max_pixels)

    def proba(files):
        x = np.asarray([str(f) for f in files], dtype=object)
        return np.asarray(model.predict_proba(x if loader is None else loader.transform(x)))

    rows, failed = [], []
    for start in range(0, len(images), _BATCH):
        batch = images[start : start + _BATCH]
        try:
            results = list(zip(batch, proba(batch)))
        except (ImageLoadError, OSError, ValueError):
            results = []  # a bad file in the batch: one by one, so the others go on
            for f in batch:
                try:
                    results.append((f, proba([f])[0]))
                except (ImageLoadError, OSError, ValueError) as exc:
                    failed.append(f)
                    msg = _option_message(args, " ".join(str(exc).split()))
                    print(f"{PROG}: error: {f}: {msg}", file=sys.stderr)
        for f, p in results:
            if not np.all(np.isfinite(p)):  # a broken network: NaN would read as "normal"
                failed.append(f)
                print(
                    f"{PROG}: error: {f}: MODEL gave non-finite probabilities "
                    f"{np.asarray(p).tolist()} (a corrupt model?)",
                    file=sys.stderr,
                )
                continue
            rows.append(_row(f, p, threshold, names))
    _write_rows(args, rows, threshold)
    if failed:
        print(
            f"{PROG}: {len(failed)} of {len(images)} image(s) could not be read or classified",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_size(args, model):
    """Refuse a --size the model cannot use (it was ignored, or failed on every image)."""
    if args.size is None:
        return
    from xraynet.utils import fitted_input_shape

    if _takes_paths(model):
        size = model.steps[0][1].size
        shown = f"{size[0]}x{size[1]}" if isinstance(size, (tuple, list)) else f"{size}x{size}"
        raise CLIError(
            f"--size {args.size}: MODEL {str(args.model)!r} reads the image files "
            f"itself, resizing them to {shown} as in training; leave --size out"
        )
    shape = fitted_input_shape(model)
    if shape is not None and tuple(shape[:2]) != (args.size, args.size):
        raise CLIError(
            f"--size {args.size}: MODEL {str(args.model)!r} was trained on "
            f"{shape[0]}x{shape[1]} images and takes only those; leave --size out"
        )


def _row(f, p, threshold, names):
    import numpy as np

    if len(p) == 2:
        k = int(p[1] >= threshold)
        return {"path": str(f), "p_disease": float(p[1]), "predicted": names[k]}
    k = int(np.argmax(p))
    return {"path": str(f), "p_disease": float(1 - p[0]), "predicted": names[k]}


def _write_rows(args, rows, threshold):
    import json

    if args.format == "json":
        print(json.dumps({"threshold": threshold, "predictions": rows}, indent=2))
        return
    import csv

    if threshold is None:
        print("# predicted: the most probable class", file=sys.stderr)
    else:
        print(f"# threshold on p_disease: {threshold:.4f}", file=sys.stderr)
    writer = csv.writer(
        sys.stdout, delimiter="," if args.format == "csv" else "\t", lineterminator="\n"
    )
    writer.writerow(["path", "p_disease", "predicted"])
    for r in rows:
        writer.writerow([r["path"], f"{r['p_disease']:.4f}", r["predicted"]])


def _image_extensions():
    from xraynet.datasets import IMAGE_EXTENSIONS  # no heavy import: a tuple of strings

    return IMAGE_EXTENSIONS


def _image_paths(args):
    """The IMAGE arguments and --from-file lines, folders expanded; in the order given."""
    given = list(args.images)
    if args.from_file is not None:
        try:
            text = Path(args.from_file).read_text(encoding="utf-8-sig")  # a BOM is no path
        except (OSError, UnicodeDecodeError) as exc:
            raise CLIError(
                f"--from-file {args.from_file!r} cannot be read: "
                f"{getattr(exc, 'strerror', None) or exc}"
            ) from None
        given += [
            ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
        ]
    if not given:
        raise CLIError("give at least one IMAGE (a file or a folder) or --from-file LIST")
    from xraynet.datasets import is_dicom_file

    extensions = _image_extensions()
    images = []
    for item in given:
        path = Path(item)
        if not path.is_dir():
            images.append(item)  # a missing or unreadable file is reported with the others
            continue
        found = sorted(
            f
            for f in path.rglob("*")
            if f.is_file()
            and not any(part.startswith(".") for part in f.relative_to(path).parts)
            and (f.suffix.lower() in extensions or is_dicom_file(f))
        )
        if not found:
            raise CLIError(f"IMAGE folder {item!r} holds no image files ({' '.join(extensions)})")
        images += [str(f) for f in found]
    return images
