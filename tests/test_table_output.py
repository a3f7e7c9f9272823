"""Tables in the house style: Markdown that parses, LaTeX that compiles with the packages it states, CSVs that
carry the budget; a cell that could not be filled is "—" with one footnote per reason."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from latentvideo.reporting.table_output import LATEX_PACKAGES, Missing, latex_escape, write_table

NOT_RUN = Missing("not run at budget default (budgets.default.experiments); run at workstation or paper")
NO_PAPER = Missing("the paper reports no number for this cell")


def outs(folder) -> dict:
    return {suffix: folder / f"t.{suffix}" for suffix in ("md", "tex", "csv", "html")}


def example() -> pd.DataFrame:
    rows = [{"model": "moving MNIST, two factors", ("log p(x|z) (nats)", "ours"): "-3098.8 ± 7.7",
             ("log p(x|z) (nats)", "paper"): NO_PAPER, ("MI same (bits)", "ours"): "1.09 (n=1000)",
             ("MI same (bits)", "paper"): "4.61"},
            {"model": "SRVP - Δt/2, 50% × 2", ("log p(x|z) (nats)", "ours"): NOT_RUN,
             ("log p(x|z) (nats)", "paper"): NO_PAPER, ("MI same (bits)", "ours"): NOT_RUN,
             ("MI same (bits)", "paper"): "2.26"}]
    table = pd.DataFrame(rows).set_index("model")
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "source"])
    return table


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Each table of ``text`` as rows of cell texts, parsed as GitHub-flavoured Markdown."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, rows, row = [], None, None
    for tok in tokens:
        if tok.type == "table_open":
            rows = []
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and row is not None:
            row.append(tok.content)
        elif tok.type == "tr_close":
            rows.append(row)
            row = None
        elif tok.type == "table_close":
            tables.append(rows)
    return tables


def check_markdown(text: str) -> list[list[str]]:
    """The one table of ``text``; every row has as many cells as the header."""
    tables = markdown_tables(text)
    assert len(tables) == 1, text
    (rows,) = tables
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows), rows
    return rows


def check_latex(tex: str) -> None:
    """Structure: ASCII, one tabular whose rows have as many cells (spans counted) as its column spec, only
    commands of LaTeX itself and of the packages the first line states."""
    assert tex.isascii(), [c for c in tex if not c.isascii()]
    assert tex.splitlines()[0].startswith("% Requires \\usepackage{" + ",".join(LATEX_PACKAGES) + "}")
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}") == 1
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", tex).group(1)
    body = tex[tex.index(r"\toprule"):tex.index(r"\bottomrule")]
    for line in body.splitlines():
        if line.endswith(r"\\"):
            cells = line[:-2].split(" & ")
            width = sum(int(m.group(1)) if (m := re.match(r"\\multicolumn\{(\d+)\}", c)) else 1 for c in cells)
            assert width == len(spec), line
    allowed = {"begin", "end", "centering", "small", "caption", "label", "toprule", "midrule", "bottomrule",
               "cmidrule", "multicolumn", "textsuperscript", "textbar", "pm", "Delta", "times", "par", "smallskip",
               "footnotesize", "textbackslash", "textless", "textgreater", "ldots", "approx", "uparrow",
               "downarrow", "textasciicircum", "textasciitilde"}
    code = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    assert set(re.findall(r"\\([A-Za-z]+)", code)) <= allowed, set(re.findall(r"\\([A-Za-z]+)", code)) - allowed


def compile_latex(tex: str, tmp_path) -> None:
    doc = tmp_path / "doc.tex"
    doc.write_text("\\documentclass{article}\n" + "".join(f"\\usepackage{{{p}}}\n" for p in LATEX_PACKAGES)
                   + "\\begin{document}\n" + tex + "\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Missing character" not in (tmp_path / "doc.log").read_text(errors="replace")


def test_markdown_parses_with_the_bar_kept_in_its_cell_and_one_footnote_per_reason(tmp_path):
    write_table(example(), "Table 2: a test", "default", "Ours: a caption.", outs(tmp_path))
    text = (tmp_path / "t.md").read_text()
    rows = check_markdown(text)
    assert rows[0] == ["model", "log p(x|z) (nats) (ours)", "log p(x|z) (nats) (paper)", "MI same (bits) (ours)",
                       "MI same (bits) (paper)"]
    assert rows[2] == ["SRVP - Δt/2, 50% × 2", "—²", "—¹", "—²", "2.26"]
    assert text.startswith("**Table 2: a test** (budget 'default').")
    assert "- —¹ the paper reports no number for this cell" in text and text.count("not run at budget") == 1
    assert "Ours: a caption." in text


def test_csv_has_the_budget_column_and_no_blank_cells(tmp_path):
    write_table(example(), "T", "default", "c", outs(tmp_path))
    with open(tmp_path / "t.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["budget"] for r in rows] == ["default", "default"]
    assert all(v.strip() for r in rows for v in r.values())
    assert rows[1]["log p(x|z) (nats) (ours)"].startswith("—: not run at budget default")


def test_latex_has_the_stated_packages_only_and_compiles_where_a_tex_engine_is_installed(tmp_path):
    write_table(example(), "Table 2: p(x|z) & 100% of it", "default", "caption_with $ and #", outs(tmp_path))
    tex = (tmp_path / "t.tex").read_text()
    check_latex(tex)
    assert r"\caption{Table 2: p(x\textbar{}z) \& 100\% of it (budget `default'). caption\_with \$ and \#}" in tex
    assert r"\multicolumn{2}{c}{log p(x\textbar{}z) (nats)}" in tex and r"SRVP - $\Delta$t/2" in tex
    assert r"---\textsuperscript{2}" in tex and r"\label{tab:t}" in tex
    if shutil.which("pdflatex"):
        compile_latex(tex, tmp_path)


def test_a_character_latex_cannot_write_is_named():
    assert latex_escape("é ± 1") == r"e $\pm$ 1"
    with pytest.raises(ValueError, match="U\\+2603"):
        latex_escape("☃")


def test_html_is_one_table_with_its_groups_caption_and_footnotes(tmp_path):
    from html.parser import HTMLParser

    write_table(example(), "Table 2 <a test>", "default", "Ours & theirs.", outs(tmp_path))
    text = (tmp_path / "t.html").read_text()

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.tags = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.rows[-1].append(int(dict(attrs).get("colspan", 1)))

    parser = Cells()
    parser.feed(text)
    assert parser.tags.count("table") == 1 and parser.tags.count("caption") == 1
    assert [sum(r) for r in parser.rows] == [5, 5, 5, 5]  # two header rows (groups spanning 2), two body rows
    assert "Table 2 &lt;a test&gt;" in text and "Ours &amp; theirs." in text and "<li>—¹ the paper reports" in text


def test_an_unknown_table_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no table writer for \\['docx'\\]"):
        write_table(example(), "T", "default", "c", {"docx": tmp_path / "t.docx"})
