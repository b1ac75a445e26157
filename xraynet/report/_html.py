"""Self-contained HTML building blocks: page, tables, embedded PNG figures."""

import base64
import html
import io
import math
from pathlib import Path

import numpy as np

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0;
       color: #1f2328; background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
h1 { font-size: 28px; margin-bottom: 4px; }
h2 { font-size: 21px; margin-top: 40px; border-bottom: 1px solid #d0d7de; padding-bottom: 6px; }
p.meta { color: #59636e; margin-top: 0; }
p.note { color: #59636e; font-size: 14px; }
p.headline { font-size: 17px; background: #ddf4ff; border: 1px solid #54aeff;
             padding: 10px 14px; border-radius: 6px; }
p.na { background: #fff8c5; border: 1px solid #d4a72c; padding: 10px 14px; border-radius: 6px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 5px 10px; text-align: right; }
th { background: #f6f8fa; }
td:first-child, th:first-child { text-align: left; }
tr.best td { background: #dafbe1; font-weight: 600; }
figure { margin: 16px 0; }
figure img { max-width: 100%; border: 1px solid #d0d7de; }
figcaption { color: #59636e; font-size: 14px; margin-top: 4px; }
nav a { margin-right: 14px; }
table.record td { text-align: left; }
"""


def esc(text):
    """HTML-escape any value."""
    return html.escape(str(text), quote=True)


def fig_to_png(fig, path=None, dpi=100):
    """Render a matplotlib figure to PNG bytes (and to ``path`` if given)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def img_tag(png, alt):
    """An <img> with the PNG embedded as a base64 data URI."""
    b64 = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{esc(alt)}">'


def figure_html(png, alt, caption, filename):
    return (
        f"<figure>{img_tag(png, alt)}<figcaption>{esc(caption)} "
        f"(also saved as <code>{esc(filename)}</code>)</figcaption></figure>"
    )


def not_available(reason):
    return f'<p class="na">{esc(reason)}</p>'


def fmt_number(value, digits=3):
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "n/a"
        if float(value).is_integer() and abs(value) >= 1000:
            return str(int(value))
        return f"{value:.{digits}f}"
    return str(value)


def table_html(header, rows, best_row=None, cls=None):
    """A plain HTML table; ``rows`` are lists of already formatted strings (escaped here)."""
    out = [f'<table class="{esc(cls)}"><thead><tr>' if cls else "<table><thead><tr>"]
    out += [f"<th>{esc(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        cls = ' class="best"' if best_row is not None and i == best_row else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def leaderboard_html(board):
    """Render a compare_models leaderboard: ``<m>_mean``/``<m>_sd`` as "mean ± sd"."""
    cols = list(board.columns)
    shown, used = [], set()
    for c in cols:
        if c in used:
            continue
        if isinstance(c, str) and c.endswith("_mean") and f"{c[:-5]}_sd" in cols:
            shown.append((c[:-5].replace("_", " ") + " (mean ± sd)", c, f"{c[:-5]}_sd"))
            used.update({c, f"{c[:-5]}_sd"})
        else:
            pretty = {"fit_time": "fit time / fold", "score_time": "score time / fold"}
            shown.append((pretty.get(c, str(c).replace("_", " ")), c, None))
            used.add(c)
    header = [board.index.name or "model"] + [name for name, _, _ in shown]
    rows = []
    for idx, rec in board.iterrows():
        row = [str(idx)]
        for _, c, sd in shown:
            v = rec[c]
            if sd is not None:
                s = rec[sd]
                row.append(
                    "n/a"
                    if _isnan(v)
                    else f"{fmt_number(v)} ± {fmt_number(s)}"
                    if not _isnan(s)
                    else fmt_number(v)
                )
            elif c in ("fit_time", "score_time") and not _isnan(v):
                row.append(f"{float(v):.2f} s")
            else:
                row.append("" if _isnan(v) else fmt_number(v))
        rows.append(row)
    best = board.attrs.get("best_model_name_")
    best_row = list(board.index).index(best) if best in list(board.index) else None
    return table_html(header, rows, best_row=best_row)


def _isnan(v):
    try:
        return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v))
    except TypeError:
        return False


def page(title, meta, sections):
    """The whole document: ``sections`` is a list of (anchor, heading, body html)."""
    nav = " ".join(f'<a href="#{esc(a)}">{esc(h)}</a>' for a, h, _ in sections)
    body = "".join(f'<section id="{esc(a)}"><h2>{esc(h)}</h2>{b}</section>' for a, h, b in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>{esc(title)}</h1><p class="meta">{meta}</p><nav>{nav}</nav>{body}'
        "</main></body></html>\n"
    )
