"""The reports: numbers for people, named statistics, charts, the HTML and Markdown pages, the
workbook, compare and sweep reports, the terminal. Chromium's view of the page is in
test_report_browser.py."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.figure import Figure
from rich.cells import cell_len
from typer.testing import CliRunner

import fiscal_opt as fo
from fiscal_opt.cli import app
from fiscal_opt.report import charts, content, frontier, html, markdown, xlsx
from fiscal_opt.report.labels import Labels, money, ratio, share, signed

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "instances" / "demo-4.yaml"
CHINA = REPO / "instances" / "china-2020-provinces.yaml"


@pytest.fixture(scope="module")
def demo() -> fo.Result:
    return fo.solve(fo.load_instance(DEMO))


def _special_fund_total(result: fo.Result) -> str:
    """The six years' special fund of the flagship as the page writes it (thousands separators)."""
    return f"{float(result.instance.special_fund.sum()):,.0f}"


@pytest.fixture(scope="module")
def china() -> fo.Result:
    return fo.solve(fo.load_instance(CHINA))


def with_actual(result: fo.Result) -> fo.Result:
    """A copy of ``result`` whose regions table has an ``actual_transfer`` column for the first year
    (as the instance data will once it carries the 2020 transfers): 90 % of the optimum."""
    copy = fo.solve(result.instance, result.policy)
    regions = copy.regions.copy()
    first = regions["year"] == regions["year"].iloc[0]
    regions["actual_transfer"] = np.where(first, 0.9 * regions["transfer"], np.nan)
    copy.__dict__["regions"] = regions
    return copy


# ------------------------------------------------------------------------------ numbers for people


def test_numbers_are_formatted_for_people():
    assert money(31500.0) == "31,500"
    assert money(174.06) == "174.1"
    assert money(-20.734) == "−20.7" and money(-2.734) == "−2.73"
    assert money(float("nan")) == "–"
    assert signed(38.88) == "+38.9" and signed(-2506.4) == "−2,506"
    assert share(0.70188) == "70.2%"
    assert ratio(0.15306) == "0.153" and ratio(-1.4) == "−1.40" and ratio(0.0) == "0"
    assert Labels("zh").unit == "亿元" and Labels("en", "10k_yuan").unit == "万元"
    assert Labels("en").years([2020, 2021, 2022]) == "2020–2022"
    with pytest.raises(ValueError):
        Labels("fr")


# ------------------------------------------------------------------------------ statistics


def test_statistics_by_group_add_up_to_the_regions_table(demo):
    stats = demo.statistics
    by_group = stats.transfer(groupby="group")
    assert list(by_group.index.names) == ["group", "year"]
    assert by_group.sum() == pytest.approx(demo.regions["transfer"].sum(), rel=1e-12)
    central = demo.regions[demo.regions["group"] == "Central"]["transfer"].sum()
    assert by_group.loc[("Central", 2025)] == pytest.approx(central, rel=1e-12)
    assert stats.transfer_share("group").groupby(level="year").sum().to_numpy() == pytest.approx([1.0])
    assert stats.vs_formula("region", aggregate_years=True).to_numpy() == pytest.approx(
        content.region_table(demo)["difference"].to_numpy(), rel=1e-12)


def test_statistics_per_head_and_coverage_are_ratios_of_sums(demo):
    stats = demo.statistics
    reg = demo.regions
    per_head = stats.transfer_per_capita(groupby=None)
    assert per_head.iloc[0] == pytest.approx(reg["transfer"].sum() * 1e8 / reg["population"].sum(), rel=1e-12)
    a = demo.allocations
    cov = stats.coverage(groupby="service", aggregate_years=True)
    health = a[a["service"] == "health"]
    assert cov["health"] == pytest.approx((health["local_funding"] + health["special_fund"]).sum()
                                          / health["standard_cost"].sum(), rel=1e-12)
    assert stats.weighted_shortfall(None, aggregate_years=True).iloc[0] == pytest.approx(
        (a["weight"] * a["shortfall"]).sum(), rel=1e-12)


def test_statistics_all_at_once_and_bad_groupings(demo):
    table = demo.statistics(groupby="group", aggregate_years=True)
    assert {"transfer", "transfer_per_capita", "coverage", "weighted_shortfall"} <= set(table.columns)
    assert "actual_transfer" not in table.columns
    cells = demo.statistics(groupby=["region", "service"])
    assert set(cells.columns) == {"standard_cost", "gap", "shortfall", "weighted_shortfall", "coverage"}
    with pytest.raises(ValueError, match="service"):
        demo.statistics.transfer(groupby="service")
    with pytest.raises(ValueError, match="cannot group"):
        demo.statistics.transfer(groupby="province")


def test_actual_transfer_is_a_statistic_when_present(demo):
    result = with_actual(demo)
    assert "actual_transfer" in result.statistics.names()
    actual = result.statistics.actual_transfer("group", aggregate_years=True)
    assert actual.sum() == pytest.approx(0.9 * result.regions["transfer"].sum(), rel=1e-12)


# ------------------------------------------------------------------------------ charts


def test_every_chart_is_a_figure_with_data(china):
    figures = china.plot.all(lang="zh")
    assert list(figures) == list(charts.RESULT_CHARTS)
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        assert any(ax.has_data() for ax in fig.axes), name
    bars = figures["transfer_per_head"].axes[0].patches
    assert len(bars) == 31
    labels = [t.get_text() for t in figures["transfer_per_head"].axes[0].get_yticklabels()]
    assert "北京" in labels and "Beijing" not in labels
    assert "Beijing" in [t.get_text() for t in china.plot.transfer_per_head().axes[0].get_yticklabels()]
    with pytest.raises(AttributeError, match="the charts are"):
        china.plot.pie()


def test_province_map_is_an_optional_extra(china, demo, monkeypatch):
    assert demo.plot.province_map() is None                 # not China's provinces
    pytest.importorskip("cnmaps")
    fig = china.plot.province_map(lang="zh")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "2020年各省人均转移支付"
    assert {t.get_text() for t in ax.texts} >= {"北京", "广西", "新疆"}
    assert "province_map" in [c.name for c in content.build_page(china, "zh").charts]
    monkeypatch.setattr(charts, "_provinces", lambda: None)  # as without `pip install 'fiscal-opt[maps]'`
    assert china.plot.province_map() is None
    assert [c.name for c in content.build_page(china, "en").charts] == list(charts.RESULT_CHARTS)


def test_lorenz_curves_end_at_one_and_state_the_gini(china):
    ax = china.plot.lorenz(year=2025).axes[0]
    lines = ax.get_lines()
    assert len(lines) == 4
    for line in lines[1:]:
        assert line.get_xdata()[-1] == pytest.approx(1.0) and line.get_ydata()[-1] == pytest.approx(1.0)
    gini = china.metrics.set_index(["year", "state"]).loc[(2025, "optimum"), "gini"]
    assert any(f"{gini:.3f}" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="year"):
        china.plot.lorenz(year=1999)


def test_actual_transfer_is_drawn_when_present(demo):
    plain = [t.get_text() for t in demo.plot.transfer_per_head().axes[0].get_legend().get_texts()]
    assert "actual transfer" not in plain
    result = with_actual(demo)
    shown = [t.get_text() for t in result.plot.transfer_per_head().axes[0].get_legend().get_texts()]
    assert "actual transfer" in shown
    assert len(result.plot.groups().axes[0].containers) == 3


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> fo.Result:
    from fiscal_opt.generate.synthetic import generate_instance, write_instance

    folder = tmp_path_factory.mktemp("many")
    path = write_instance(generate_instance(charts.MANY + 20, years=2, seed=3), folder)
    return fo.solve(fo.load_instance(path))


def test_many_regions_get_scatter_and_group_charts(many):
    per_head = many.plot.transfer_per_head().axes[0]
    assert not per_head.patches and sum(len(c.get_offsets()) for c in per_head.collections) == charts.MANY + 20
    heat = many.plot.coverage().axes[0]
    assert len(heat.get_yticklabels()) == many.regions["group"].nunique()


def test_user_text_is_never_read_as_mathtext(tmp_path):
    text = DEMO.read_text(encoding="utf-8").replace("name: Coastal,", 'name: "$\\\\frac{1}{$ \\\\oops",')
    path = tmp_path / "math.yaml"
    path.write_text(text.replace("policy: ../models/", f"policy: {REPO / 'models'}/"), encoding="utf-8")
    result = fo.solve(fo.load_instance(path))
    out = result.write(tmp_path / "out", ["md", "html"])
    assert "$\\frac{1}{$ \\oops" in (out / "report.html").read_text(encoding="utf-8").replace("&amp;", "&")


# ------------------------------------------------------------------------------ pages


def test_html_page_is_self_contained_and_complete(china, tmp_path):
    out = china.write(tmp_path / "zh", ["html"], lang="zh")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html><html lang='zh-Hans'>")
    shown = [n for n in re.findall(r"<figure id='chart-([a-z_]+)'", page) if n != "province_map"]
    assert shown == list(charts.RESULT_CHARTS)
    assert page.count("<svg") == len(re.findall(r"<figure id='chart-", page))
    assert "@font-face{font-family:'Noto Sans CJK SC'" in page and "data:font/woff;base64," in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:|//)", page) and "<link" not in page
    assert "<script" not in page and "@import" not in page
    assert "@media print" in page
    for text in ("摘要", "北京", "广东", "影子价格", "加权缺口", "保障率", "亿元", _special_fund_total(china)):
        assert text in page, text
    english = (china.write(tmp_path / "en", ["html"]) / "report.html").read_text(encoding="utf-8")
    assert "Executive summary" in english and "Beijing" in english and "北京" not in english
    assert "Shadow price of the budget" in english and "negative price means more money helps" in english


def test_the_embedded_font_holds_every_character_of_the_page(demo, tmp_path):
    from fontTools.ttLib import TTFont
    import base64

    page = (demo.write(tmp_path / "o", ["html"], lang="zh") / "report.html").read_text(encoding="utf-8")
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    covered = set(font.getBestCmap())
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    missing = {ch for ch in set(text) if ord(ch) > 0x7F and ord(ch) not in covered}
    assert missing == set()
    assert {ord(c) for c in "资金分配报告"} <= covered


def test_summary_speaks_in_sentences_with_units(china):
    page = content.build_page(china, "en")
    first = page.summary[0]
    assert first.startswith(f"In 2020–2025 the centre shares {_special_fund_total(china)} 亿元 of special funds")
    assert any("largest gains go to" in s for s in page.summary)
    assert any(s.startswith("By group: East") for s in page.summary)
    assert any("Gini coefficient" in s for s in page.summary)
    assert any("No soft rule had to bend" in s for s in page.summary)
    assert all(t.units.startswith(("Units:", "Unit-free")) for t in page.tables)


def test_soft_rule_bends_are_reported(china):
    import dataclasses

    assert not china.summary["soft_rule_violations"]
    poorer = dataclasses.replace(china.instance, special_fund=china.instance.special_fund * 0.6)
    squeezed = fo.solve(poorer)             # 60 % of the budget: hold-harmless (soft) has to bend
    bends = squeezed.summary["soft_rule_violations"]
    assert bends
    page = content.build_page(squeezed, "en")
    assert any(s.startswith("Soft rules that bent: hold-harmless") for s in page.summary)
    soft = [t for t in page.tables if t.title == "Soft rules that bent"]
    assert soft and len(soft[0].rows) == min(content.SOFT_ROWS, sum(len(v) for v in bends.values()))


def test_regions_table_shows_actual_transfer_only_when_present(demo):
    lab = Labels("en", demo.instance.money_unit)
    names = pd.Series(dtype=str)
    plain = content.regions_table(demo, lab, names)
    assert not any(c.startswith("actual") for c in plain.columns)
    result = with_actual(demo)
    table = content.regions_table(result, lab, names)
    assert "actual 2025" in table.columns
    at = table.columns.index("actual 2025")
    transfer = result.regions.groupby("region", sort=False)["transfer"].sum()
    assert [row[at] for row in table.rows] == [money(0.9 * v, 1) for v in transfer]


def test_markdown_escapes_link_and_image_syntax(tmp_path):
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace("name: Coastal,", 'name: "[click](javascript:alert(1))",')
    text = text.replace("name: Inland,", 'name: "![](http://attacker.example/x.png)",')
    text = text.replace("policy: ../models/", f"policy: {REPO / 'models'}/")
    path = tmp_path / "links.yaml"
    path.write_text(text, encoding="utf-8")
    report, images = markdown.markdown_report(fo.solve(fo.load_instance(path)))
    assert "](javascript:" not in report.replace("\\]", "") or "\\[click\\]" in report
    assert "[click](javascript" not in report and "![](http" not in report
    assert "\\[click\\](javascript:alert(1))" in report and "!\\[\\](http://attacker.example/x.png)" in report
    links = re.findall(r"!\[[^\]]*\]\(([^)]*)\)", report.replace("\\[", "").replace("\\]", ""))
    assert set(links) <= set(images)
    assert markdown.escape("a|b*c_d`e") == "a\\|b\\*c\\_d\\`e"


# ------------------------------------------------------------------------------ workbook


def test_workbook_sheets_formats_and_values(china, tmp_path):
    out = china.write(tmp_path / "o", ["xlsx"])
    book = openpyxl.load_workbook(out / "allocations.xlsx")
    assert book.sheetnames == ["summary", "regions", "allocations", "metrics"]
    regions = book["regions"]
    header = [c.value for c in regions[1]]
    assert header[:9] == ["region", "name", "name_zh", "group", "year", "transfer (100m_yuan)",
                          "formula_transfer (100m_yuan)", "actual_transfer (100m_yuan)", "vs_formula (100m_yuan)"]
    assert all(c.font.bold for c in regions[1])
    assert regions.freeze_panes == "C2" and regions.auto_filter.ref == f"A1:{regions.cell(1, len(header)).column_letter}187"
    assert regions.max_row == 1 + 31 * 6
    row = [c.value for c in regions[2]]
    first = china.regions.iloc[0]
    assert row[:5] == ["11", "Beijing", "北京", "East", 2020]
    assert row[5] == pytest.approx(first["transfer"], rel=1e-15)
    assert regions.cell(2, 6).number_format == "#,##0.00"
    assert regions.cell(187, 6).value == pytest.approx(china.regions.iloc[-1]["transfer"], rel=1e-15)
    per_head = header.index("transfer_per_capita (yuan/person)") + 1
    assert regions.cell(3, per_head).number_format == "#,##0"
    alloc = book["allocations"]
    assert alloc.max_row == 1 + 31 * 6 * 4
    cov = [c.value for c in alloc[1]].index("coverage_after (share)") + 1
    assert alloc.cell(100, cov).number_format == "0.0%"
    assert regions.column_dimensions["B"].width >= len("Inner Mongolia")
    summary = book["summary"]
    values = [c.value for row in summary.iter_rows() for c in row]
    assert "shadow price (objective per 100m_yuan)" in values and "optimal" in values
    low = china.summary["budget_shadow_price"]["2020"]["valid_from"]
    assert any(isinstance(v, float) and v == pytest.approx(low, rel=1e-14) for v in values)


def test_workbook_is_the_same_bytes_every_time(demo, tmp_path):
    first = demo.write(tmp_path / "a", ["xlsx"]) / "allocations.xlsx"
    second = demo.write(tmp_path / "b", ["xlsx"]) / "allocations.xlsx"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {xlsx.ZIP_TIME}
        assert "2000-01-01T00:00:00Z" in archive.read("docProps/core.xml").decode()


def test_workbook_has_actual_transfer_beside_the_optimum_when_present(demo, tmp_path):
    result = with_actual(demo)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.workbook_bytes(result)))
    header = [c.value for c in book["regions"][1]]
    assert header.index("actual_transfer (100m_yuan)") == header.index("formula_transfer (100m_yuan)") + 1
    assert "actual_transfer (100m_yuan)" not in [c.value for c in openpyxl.load_workbook(
        io.BytesIO(xlsx.workbook_bytes(demo)))["regions"][1]]


def test_write_times_are_in_summary_json(demo, tmp_path):
    out = demo.write(tmp_path / "o", ["csv", "json", "md", "html", "xlsx"])
    timings = json.loads((out / "summary.json").read_text(encoding="utf-8"))["timings"]
    assert {"write_csv", "write_report", "write_xlsx"} <= set(timings)
    assert all(v > 0 for k, v in timings.items() if k.startswith("write"))


# ------------------------------------------------------------------------------ compare and sweep


@pytest.fixture(scope="module")
def sweep_table() -> pd.DataFrame:
    return fo.sweep(fo.load_instance(DEMO), None, "budget", [0.6, 0.8, 1.0, 1.2], relative=True)


def test_sweep_table_carries_group_shares(sweep_table):
    shares = sweep_table[[c for c in sweep_table.columns if c.startswith("transfer_share_")]]
    assert list(shares.columns) == ["transfer_share_East", "transfer_share_Central", "transfer_share_West",
                                    "transfer_share_Northeast"]
    assert shares.sum(axis=1).to_numpy() == pytest.approx(np.ones(len(shares)))


def test_sweep_page_has_frontier_price_and_shares(sweep_table):
    page = frontier.sweep_page(sweep_table, "demo-4", "100m_yuan", "en")
    assert [c.name for c in page.charts] == ["frontier", "shadow_price", "group_shares"]
    assert len(page.tables[0].rows) == 4 and page.tables[0].rows[0][0] == "60%"
    assert "4 points of the budget (share of the instance's own) from 60% to 120%" in page.summary[0]
    without = sweep_table.drop(columns=[c for c in sweep_table.columns if c.startswith("transfer_share_")])
    assert [c.name for c in frontier.sweep_page(without, "demo-4", "100m_yuan", "zh").charts] == [
        "frontier", "shadow_price"]
    assert "<svg" in html.render(page)


def test_compare_page_marks_the_formula(demo):
    from fiscal_opt.analysis.compare import compare

    table = compare(demo.instance, [fo.load_policy(REPO / "models" / p) for p in ("efficiency.yaml",
                                                                                 "equity-first.yaml")])
    page = frontier.compare_page(table.assign(extra_column=1.0), "demo-4", "100m_yuan", "zh")
    assert [r[0] for r in page.tables[0].rows] == ["efficiency", "equity-first", "因素法"]
    assert "效率与公平" in page.charts[0].figure.texts[0].get_text()


# ------------------------------------------------------------------------------ terminal and CLI

runner = CliRunner()


def test_solve_prints_within_100_columns_in_both_languages():
    for lang in ("en", "zh"):
        result = runner.invoke(app, ["solve", str(CHINA), "--lang", lang])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert max(cell_len(line) for line in lines) <= 100
        assert ("北京" if lang == "zh" else "Beijing") in result.output


def test_the_headline_states_the_objective_in_its_own_unit():
    coverage = runner.invoke(app, ["solve", str(DEMO), "--policy", str(REPO / "models" / "leximin.yaml")])
    money = runner.invoke(app, ["solve", str(DEMO), "--json"])
    assert coverage.exit_code == 0 and money.exit_code == 0
    headline = coverage.output.splitlines()[0]
    assert "leximin_coverage" in headline
    assert "(share of need)" in headline and "100m_yuan" not in headline
    facts = json.loads(money.stdout)
    assert facts["objective_name"] == "weighted_shortfall"
    assert facts["objective_unit"] == "100m_yuan, priority-weighted"


def test_solve_json_and_quiet():
    result = runner.invoke(app, ["solve", str(DEMO), "--json"])
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    assert facts["status"] == "optimal" and "solve" in facts["timings"]
    quiet = runner.invoke(app, ["solve", str(DEMO), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""
    bad = runner.invoke(app, ["solve", str(DEMO), "--lang", "fr"])
    assert bad.exit_code == 2 and "choose en or zh" in bad.output


def test_compare_and_sweep_write_reports(tmp_path):
    result = runner.invoke(app, ["compare", str(DEMO), "--policy", str(REPO / "models" / "efficiency.yaml"),
                                 "--policy", str(REPO / "models" / "equity-first.yaml"),
                                 "--report", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cmp" / "report.html").is_file() and (tmp_path / "cmp" / "charts" / "frontier.png").is_file()
    result = runner.invoke(app, ["sweep", str(DEMO), "--budget", "80%:120%:20%", "--report", str(tmp_path / "swp"),
                                 "--lang", "zh"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "swp" / "report.md").read_text(encoding="utf-8")
    assert "预算" in text and "charts/group_shares.png" in text


def test_tutorial_runs(tmp_path, monkeypatch):
    """docs/tutorial.py, the plots-from-Python walk-through, runs as written."""
    import runpy

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["tutorial.py", str(tmp_path / "plots")])
    namespace = runpy.run_path(str(REPO / "docs" / "tutorial.py"), run_name="__main__")
    assert isinstance(namespace["by_group"], pd.DataFrame)
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(f"{n}.png" for n in charts.RESULT_CHARTS)
