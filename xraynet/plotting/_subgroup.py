"""Forest plot of AUC / sensitivity / specificity per subgroup."""

import numpy as np

from ._common import LABEL_SIZE, PALETTE, SMALL_SIZE, TICK_SIZE, TITLE_SIZE, positive_scores

__all__ = ["SubgroupDisplay"]

_SHORT = {
    "roc_auc": "ROC AUC",
    "sensitivity": "Sensitivity",
    "specificity": "Specificity",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "ppv": "PPV",
    "npv": "NPV",
    "f1": "F1",
}


class SubgroupDisplay:
    """Forest plot: each metric per subgroup, point and bootstrap interval.

    One panel per metric; one row per subgroup, grouped by attribute (view,
    sex, age band, ...), with the overall value as a dashed reference line. A
    subgroup whose interval lies away from that line is where the model
    behaves differently -- e.g. high sensitivity but low specificity on
    portable AP films means it uses "AP" as a cue for disease. Rows show the
    counts ``n`` and ``pos`` (diseased); undefined values (one class, too few
    images) are written out instead of drawn.

    Parameters
    ----------
    report : pandas.DataFrame
        Output of :func:`xraynet.metrics.subgroup_report`.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per metric.
    ax_ : matplotlib Axes
        The first panel.
    figure_ : matplotlib Figure
    errorbars_ : dict of str -> list of ErrorbarContainer
        Per metric, one container per attribute block.

    Examples
    --------
    >>> import numpy as np
    >>> from xraynet.plotting import SubgroupDisplay
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 200); s = np.clip(y * 0.5 + rng.rand(200) * 0.6, 0, 1)
    >>> view = np.where(rng.rand(200) < 0.5, "AP", "PA")
    >>> disp = SubgroupDisplay.from_predictions(y, s, {"view": view}, n_bootstraps=100)
    >>> len(disp.axes_)
    3
    """

    def __init__(self, report):
        self.report = report

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        groups,
        *,
        threshold=0.5,
        n_bootstraps=1000,
        confidence=0.95,
        random_state=0,
        min_count=10,
        metrics=("roc_auc", "sensitivity", "specificity"),
        pos_label=1,
        ax=None,
        title=None,
    ):
        """Compute :func:`~xraynet.metrics.subgroup_report` and plot it.

        Parameters
        ----------
        y_true, y_score, groups, threshold, n_bootstraps, confidence, random_state, \
min_count, metrics, pos_label
            As in :func:`xraynet.metrics.subgroup_report`.
        ax : matplotlib Axes, sequence of Axes or None, default=None
            One Axes per metric; None makes a new figure.
        title : str or None, default=None
            Figure title; None gives a default naming the threshold.

        Returns
        -------
        display : SubgroupDisplay
        """
        from ..metrics import subgroup_report

        report = subgroup_report(
            y_true,
            y_score,
            groups,
            threshold=threshold,
            n_bootstraps=n_bootstraps,
            confidence=confidence,
            random_state=random_state,
            min_count=min_count,
            metrics=metrics,
            pos_label=pos_label,
        )
        return cls(report).plot(ax=ax, title=title)

    @classmethod
    def from_estimator(cls, estimator, X, y, groups, *, pos_label=1, **kwargs):
        """Score ``X`` with a fitted binary classifier and plot per subgroup.

        Parameters
        ----------
        estimator : fitted classifier
            With ``predict_proba`` (or ``decision_function``; then pass a
            suitable ``threshold``).
        X : array-like
            Images (or whatever the estimator takes).
        y : array-like of shape (n_samples,)
        groups : array-like, DataFrame or dict
            As in :func:`xraynet.metrics.subgroup_report`.
        pos_label : int or str, default=1
        **kwargs
            Passed to :meth:`from_predictions`.

        Returns
        -------
        display : SubgroupDisplay
        """
        classes = list(getattr(estimator, "classes_", [0, 1]))
        if len(classes) > 2:
            raise ValueError(
                f"SubgroupDisplay needs a binary classifier; {type(estimator).__name__} has "
                f"{len(classes)} classes. Collapse them (disease vs normal) first."
            )
        idx = classes.index(pos_label) if pos_label in classes else -1
        score = positive_scores(estimator, X, pos_index=idx)
        return cls.from_predictions(y, score, groups, pos_label=pos_label, **kwargs)

    def plot(self, ax=None, *, title=None, metrics=None):
        """Draw the forest plot.

        Parameters
        ----------
        ax : matplotlib Axes, sequence of Axes or None, default=None
            One Axes per metric (a single Axes for a single metric).
        title : str or None, default=None
        metrics : sequence of str or None, default=None
            Subset of the report's metrics; None draws all.

        Returns
        -------
        self : SubgroupDisplay
        """
        import matplotlib.pyplot as plt

        report = self.report
        metrics = list(
            metrics
            or report.attrs.get("metrics")
            or [c for c in ("roc_auc", "sensitivity", "specificity") if c in report]
        )
        missing = [m for m in metrics if m not in report.columns]
        if missing:
            raise ValueError(f"metrics {missing} are not in the report ({list(report.columns)}).")
        rows, y_pos, headers, n_rows = self._layout(report)
        if ax is None:
            fig, axes = plt.subplots(
                1,
                len(metrics),
                sharey=True,
                squeeze=False,
                figsize=(2.2 + 3.0 * len(metrics), 1.2 + 0.36 * n_rows),
            )
            axes = axes[0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != len(metrics):
                raise ValueError(
                    f"ax must hold one Axes per metric ({len(metrics)}); got {len(axes)}."
                )
            fig = axes[0].figure
        overall = report.iloc[0]
        self.errorbars_ = {}
        for j, (axis, metric) in enumerate(zip(axes, metrics)):
            self.errorbars_[metric] = []
            ref = overall[metric]
            if np.isfinite(ref):
                axis.axvline(ref, color="0.35", ls="--", lw=1.2, zorder=1)
            lows = []
            for k, (attribute, block) in enumerate(rows):
                color = "black" if k == 0 else PALETTE[(k - 1) % len(PALETTE)]
                val = block[metric].to_numpy(float)
                lo = block[f"{metric}_low"].to_numpy(float)
                hi = block[f"{metric}_high"].to_numpy(float)
                ys = y_pos[attribute]
                ok = np.isfinite(val)
                err = np.vstack(
                    [np.where(np.isfinite(lo), val - lo, 0), np.where(np.isfinite(hi), hi - val, 0)]
                )[:, ok]
                cont = axis.errorbar(
                    val[ok],
                    ys[ok],
                    xerr=err,
                    fmt="D" if k == 0 else "o",
                    color=color,
                    ms=7,
                    capsize=3,
                    lw=1.8,
                    zorder=3,
                )
                self.errorbars_[metric].append(cont)
                lows += [v for v in np.r_[lo[ok], val[ok]] if np.isfinite(v)]
                for yy, note in zip(ys[~ok], block["note"].to_numpy()[~ok]):
                    text = "too few images" if "min_count" in note else "undefined (one class)"
                    axis.text(
                        0.03,
                        yy,
                        text,
                        transform=axis.get_yaxis_transform(),
                        va="center",
                        ha="left",
                        fontsize=SMALL_SIZE - 1,
                        color="0.4",
                        style="italic",
                    )
            low = max(0.0, np.floor((min(lows) - 0.02) * 10) / 10) if lows else 0.0
            step = 0.05 if low >= 0.8 else 0.1 if low >= 0.5 else 0.2
            axis.set_xticks(np.round(np.arange(1.0, low - 1e-9, -step)[::-1], 2))
            axis.set_xlim(low - 0.01, 1.0 + 0.25 * step)
            axis.set_title(_SHORT.get(metric, metric), fontsize=LABEL_SIZE)
            axis.grid(axis="x", alpha=0.3)
            axis.tick_params(labelsize=TICK_SIZE)
            for h in headers:
                axis.axhline(h - 0.5, color="0.75", lw=0.8)
            if j:
                axis.tick_params(axis="y", left=False)
        labels = {}
        for k, (attribute, block) in enumerate(rows):
            for yy, (sub, n, n_pos) in zip(
                y_pos[attribute], zip(block.index, block["n"], block["n_positive"])
            ):
                name = "Overall" if k == 0 else f"  {sub}"
                labels[yy] = f"{name}  (n={n}, {n_pos} pos)"
        for h, attribute in headers.items():
            labels[h] = attribute
        ticks = sorted(labels)
        axes[0].set_yticks(ticks)
        axes[0].set_yticklabels([labels[t] for t in ticks], fontsize=TICK_SIZE)
        for t, lab in zip(ticks, axes[0].get_yticklabels()):
            if t in headers:
                lab.set_fontweight("bold")
        axes[0].set_ylim(n_rows - 0.4, -0.6)
        conf = report.attrs.get("confidence", 0.95)
        if title is None:
            thr = report.attrs.get("threshold", 0.5)
            title = (
                f"Performance by subgroup (threshold {thr:g}; bars: {conf:.0%} bootstrap "
                "CI; dashed: overall)"
            )
        if title:
            fig.suptitle(title, fontsize=TITLE_SIZE)
        fig.tight_layout()
        self.axes_, self.ax_, self.figure_ = np.asarray(axes, dtype=object), axes[0], fig
        return self

    @staticmethod
    def _layout(report):
        """Blocks of rows (overall first) and their y positions, header rows per attribute."""
        attributes = list(dict.fromkeys(report.index.get_level_values(0)))
        rows, y_pos, headers = [], {}, {}
        y = 0
        for k, attribute in enumerate(attributes):
            block = report.loc[attribute]
            if k:  # a header line naming the attribute
                headers[y] = attribute
                y += 1
            rows.append((attribute, block))
            y_pos[attribute] = np.arange(y, y + len(block), dtype=float)
            y += len(block)
        return rows, y_pos, headers, y
