"""The house style of every table: one table written as Markdown, LaTeX, CSV and HTML from the same cells.

A table is a :class:`pandas.DataFrame` whose columns may be a MultiIndex (e.g. dataset / metric / source) and
whose cells are strings or :class:`Missing` (a cell we could not fill, with the reason). The writers
- print each ``Missing`` cell as "—" with a footnote number; each distinct reason is one footnote;
- put the title and the budget in the caption (Markdown: a bold first line; LaTeX: ``\\caption``) and
  the budget in a ``budget`` column of the CSV, whose missing cells say ``—: <reason>`` (never blank);
- escape what each format needs: ``|`` in Markdown cells, every LaTeX special character, and the non-ASCII
  characters our cells use (±, —, Δ, ×, superscripts), so the ``.tex`` is ASCII and compiles with
  ``\\usepackage{booktabs}`` (stated in its first line) and nothing else.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from latentvideo.atomic import atomic_path

LATEX_PACKAGES = ("booktabs",)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@dataclasses.dataclass(frozen=True)
class Missing:
    """A cell that could not be filled; ``reason`` becomes its footnote."""

    reason: str

    def __str__(self) -> str:
        return "—"

    __repr__ = __str__


def footnote_mark(n: int) -> str:
    """The mark of footnote ``n`` in a cell and before its text: "—" and ``n`` in superscript digits."""
    return "—" + str(n).translate(_SUPERSCRIPT)


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A table's cells as strings (``Missing`` as "—ⁿ") and its footnotes in number order."""

    cells: pd.DataFrame
    footnotes: list[str]


def render_cells(table: pd.DataFrame) -> Rendered:
    """Numbers each distinct ``Missing`` reason in reading order (row by row) and writes "—ⁿ" in its cells."""
    numbers: dict[str, int] = {}

    def cell(value: object) -> str:
        if isinstance(value, Missing):
            n = numbers.setdefault(value.reason, len(numbers) + 1)
            return footnote_mark(n)
        return str(value)

    cells = pd.DataFrame([[cell(v) for v in row] for row in table.itertuples(index=False, name=None)],
                         index=table.index, columns=table.columns)
    return Rendered(cells, list(numbers))


def _column_labels(columns: pd.Index) -> list[str]:
    if isinstance(columns, pd.MultiIndex):
        return [": ".join(str(p) for p in c[:-1]) + f" ({c[-1]})" if len(c) > 1 else str(c[0]) for c in columns]
    return [str(c) for c in columns]


def markdown_escape(text: str) -> str:
    """A Markdown table cell: ``|`` escaped, line breaks as spaces."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(table: pd.DataFrame, title: str, budget: str, caption: str) -> str:
    """``**Title** (budget 'b').`` then a GitHub-flavoured Markdown table, its footnotes and the caption."""
    r = render_cells(table)
    header = [str(table.index.name or ""), *_column_labels(table.columns)]
    lines = ["| " + " | ".join(markdown_escape(h) for h in header) + " |",
             "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    for label, row in zip(r.cells.index, r.cells.itertuples(index=False, name=None)):
        lines.append("| " + " | ".join(markdown_escape(str(v)) for v in (label, *row)) + " |")
    notes = [f"{footnote_mark(n)} {reason}" for n, reason in enumerate(r.footnotes, 1)]
    return "\n".join([f"**{title}** (budget '{budget}').", "", *lines, "", *(f"- {n}" for n in notes),
                      *([""] if notes else []), caption, ""])


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_LATEX_UNICODE = {"±": r"$\pm$", "—": "---", "–": "--", "Δ": r"$\Delta$", "×": r"$\times$", "≈": r"$\approx$",
                  "≤": r"$\leq$", "≥": r"$\geq$", "→": r"$\rightarrow$", "½": r"$\frac{1}{2}$", "’": "'",
                  "“": "``", "”": "''", "…": r"\ldots{}", "·": r"$\cdot$", "−": "-",
                  "↑": r"$\uparrow$", "↓": r"$\downarrow$"}


def latex_escape(text: str) -> str:
    """ASCII LaTeX for ``text``: specials escaped, superscript digits as ``\\textsuperscript``, the symbols above
    as math; other accents decomposed (é -> e). Raises ``ValueError`` naming a character it cannot write."""
    out = []
    for part in re.split(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text):
        if part and all(ch in "⁰¹²³⁴⁵⁶⁷⁸⁹" for ch in part):
            out.append(r"\textsuperscript{" + part.translate(_FROM_SUPERSCRIPT) + "}")
            continue
        for ch in part:
            if ch in _LATEX_SPECIAL:
                out.append(_LATEX_SPECIAL[ch])
            elif ch in _LATEX_UNICODE:
                out.append(_LATEX_UNICODE[ch])
            elif ord(ch) < 128:
                out.append(ch)
            else:
                plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
                if not plain:
                    raise ValueError(f"no LaTeX for the character {ch!r} (U+{ord(ch):04X}) in {text!r}")
                out.append(plain)
    return "".join(out)


def _header_rows(columns: pd.Index) -> list[list[tuple[str, int]]]:
    """Per header level, the (label, span) groups of consecutive equal prefixes."""
    tuples = list(columns) if isinstance(columns, pd.MultiIndex) else [(c,) for c in columns]
    rows = []
    for level in range(len(tuples[0]) if tuples else 0):
        groups: list[tuple[str, int]] = []
        previous = None
        for t in tuples:
            key = t[: level + 1]
            if key == previous:
                groups[-1] = (groups[-1][0], groups[-1][1] + 1)
            else:
                groups.append((str(t[level]), 1))
            previous = key
        rows.append(groups)
    return rows


def to_latex(table: pd.DataFrame, title: str, budget: str, caption: str, label: str) -> str:
    """A ``table`` float: booktabs rules, one header row per column level (groups spanned with ``\\multicolumn``
    and underlined with ``\\cmidrule``), the footnotes under the tabular, title and budget in the caption."""
    r = render_cells(table)
    n = len(table.columns)
    body = [f"% Requires \\usepackage{{{','.join(LATEX_PACKAGES)}}}. Budget '{budget}'.",
            r"\begin{table}[t]", r"\centering", r"\small",
            f"\\caption{{{latex_escape(title)} (budget `{latex_escape(budget)}'). {latex_escape(caption)}}}",
            f"\\label{{tab:{re.sub(r'[^A-Za-z0-9:_-]', '-', label)}}}", r"\begin{tabular}{l" + "r" * n + "}", r"\toprule"]
    levels = _header_rows(table.columns)
    for depth, groups in enumerate(levels):
        first = latex_escape(str(table.index.name or "")) if depth == len(levels) - 1 else ""
        cells, rules, col = [first], [], 2
        for text, span in groups:
            cells.append(f"\\multicolumn{{{span}}}{{c}}{{{latex_escape(text)}}}" if span > 1 else latex_escape(text))
            if span > 1:
                rules.append(f"\\cmidrule(lr){{{col}-{col + span - 1}}}")
            col += span
        body.append(" & ".join(cells) + r" \\")
        if rules and depth < len(levels) - 1:
            body.append(" ".join(rules))
    body.append(r"\midrule")
    for label_, row in zip(r.cells.index, r.cells.itertuples(index=False, name=None)):
        body.append(" & ".join(latex_escape(str(v)) for v in (label_, *row)) + r" \\")
    body += [r"\bottomrule", r"\end{tabular}"]
    if r.footnotes:
        body.append(r"\par\smallskip{\footnotesize " + r"\par ".join(
            latex_escape(f"{footnote_mark(n)} {reason}.") for n, reason in enumerate(r.footnotes, 1)) + "}")
    body += [r"\end{table}", ""]
    return "\n".join(body)


def to_csv_frame(table: pd.DataFrame, budget: str) -> pd.DataFrame:
    """Flat columns (``dataset: metric (source)``), a ``budget`` column, missing cells as ``—: <reason>``."""
    flat = table.map(lambda v: f"—: {v.reason}" if isinstance(v, Missing) else str(v))
    flat.columns = _column_labels(table.columns)
    flat.insert(0, "budget", budget)
    return flat


def to_html(table: pd.DataFrame, title: str, budget: str, caption: str) -> str:
    """A self-contained ``<table>`` with its caption, header groups and footnotes (the report shows it inline)."""
    r = render_cells(table)
    levels = _header_rows(table.columns)
    head = []
    for depth, groups in enumerate(levels):
        first = html.escape(str(table.index.name or "")) if depth == len(levels) - 1 else ""
        cells = "".join(f'<th colspan="{span}">{html.escape(text)}</th>' if span > 1 else f"<th>{html.escape(text)}</th>"
                        for text, span in groups)
        head.append(f"<tr><th>{first}</th>{cells}</tr>")
    body = ["<tr><th>" + html.escape(str(label)) + "</th>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
            + "</tr>" for label, row in zip(r.cells.index, r.cells.itertuples(index=False, name=None))]
    notes = "".join(f"<li>{footnote_mark(n)} {html.escape(reason)}</li>"
                    for n, reason in enumerate(r.footnotes, 1))
    return (f'<table class="latentvideo-table" border="1" style="border-collapse:collapse;font-size:85%">'
            f"<caption><b>{html.escape(title)}</b> (budget '{html.escape(budget)}')</caption>"
            f"<thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody></table>"
            + (f'<ul style="font-size:80%">{notes}</ul>' if notes else "")
            + f'<p style="font-size:80%">{html.escape(caption)}</p>\n')


WRITERS = {"md": lambda t, title, budget, caption, stem: to_markdown(t, title, budget, caption),
           "tex": lambda t, title, budget, caption, stem: to_latex(t, title, budget, caption, stem),
           "html": lambda t, title, budget, caption, stem: to_html(t, title, budget, caption)}


def write_table(table: pd.DataFrame, title: str, budget: str, caption: str, outputs: Mapping[str, str | Path]) -> None:
    """Writes every format named in ``outputs`` ({suffix: path}: md, tex, csv, html) atomically; the LaTeX label
    is the file's stem."""
    unknown = set(outputs) - {*WRITERS, "csv"}
    if unknown:
        raise ValueError(f"no table writer for {sorted(unknown)}; known: {sorted({*WRITERS, 'csv'})}")
    for suffix, path in outputs.items():
        with atomic_path(path) as tmp:
            if suffix == "csv":
                to_csv_frame(table, budget).to_csv(tmp)
            else:
                tmp.write_text(WRITERS[suffix](table, title, budget, caption, Path(path).stem))
