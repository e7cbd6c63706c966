"""The report's charts as matplotlib figures: functions of a result (or of a compare/sweep table).

No I/O: every function returns a :class:`matplotlib.figure.Figure` (not attached to pyplot, so a
report can draw many without leaking them); the pages save them. Chinese is drawn with the font
of :mod:`fiscal_opt.report.fonts`. Money in the instance's money_unit, per head in yuan per
person, shares and coverage as fractions. Instances with more than :data:`MANY` regions get
scatter plots and group summaries instead of one bar per region.
"""

from __future__ import annotations

import io

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .fonts import register_matplotlib
from .labels import GROUP_NAMES, SERVICE_NAMES, Labels, named, one_line, ratio, region_names

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..results.result import Result

MANY = 60
"""Above this many regions a chart shows groups or a scatter rather than one row per region."""

OPTIMUM, FORMULA, BEFORE, ACTUAL, EQUALITY = "#1f4e79", "#c55a11", "#9e9e9e", "#2e7d32", "#bdbdbd"
GROUP_COLOURS = ("#1f77b4", "#e377c2", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f")
WIDTH = 7.2
"""Figure width, inches: the page's text column at 100 dpi."""


@contextmanager
def style() -> Iterator[None]:
    """The house style: the CJK font, small type, light grid, no top or right spine."""
    import matplotlib

    family = register_matplotlib()
    with matplotlib.rc_context({
            "font.family": [family, "DejaVu Sans"], "font.size": 8.5, "axes.titlesize": 10,
            "axes.titleweight": "normal", "axes.titlelocation": "left", "text.parse_math": False, "axes.spines.top": False,
            "axes.spines.right": False, "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.6,
            "axes.axisbelow": True, "axes.edgecolor": "#888888", "legend.frameon": False, "legend.fontsize": 8,
            "svg.fonttype": "none", "svg.hashsalt": "fiscal-opt", "figure.dpi": 100, "savefig.dpi": 150}):
        yield


def save(figure: Figure, buffer: io.IOBase, fmt: str, metadata: dict) -> None:
    """``figure`` into ``buffer`` as ``fmt`` in the house style. The first save lays the figure out
    (constrained layout); the layout is then kept, so that a second format (the page's SVG beside
    report.md's PNG) draws it without laying it out again (0.3 s of a flagship report)."""
    with style():
        figure.savefig(buffer, format=fmt, metadata=metadata)
    figure.set_layout_engine("none")


def _figure(height: float, ncols: int = 1, width: float = WIDTH) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _labels(result: Result, lang: str) -> Labels:
    return Labels(lang, result.instance.money_unit)


def _year(result: Result, year: int | None) -> int:
    years = list(result.summary["years"])
    if year is None:
        return int(years[0])
    if year not in years:
        raise ValueError(f"year {year} is not one of the instance's years {years}")
    return int(year)


def _group_colours(groups: pd.Series) -> dict[str, str]:
    """A colour per group: East, Central, West, Northeast always the same four, other groups after."""
    known = [g for g in GROUP_NAMES if g != "all"]
    order = known + [g for g in dict.fromkeys(groups.tolist()) if g not in known]
    return {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(order)}


def per_head_table(result: Result, year: int) -> pd.DataFrame:
    """One row per region in ``year``: name, group, population, migrant share, fiscal difficulty and
    transfer per head (yuan per person) at the optimum, under the formula and, when regions.csv has
    ``actual_transfer``, in fact."""
    reg = result.regions[result.regions["year"] == year]
    yuan = result.instance.yuan_per_unit
    people = reg["population"].to_numpy()
    frame = pd.DataFrame({
        "region": reg["region"].to_numpy(), "group": reg["group"].to_numpy(), "population": people,
        "migrant_share": reg["migrants"].to_numpy() / people,
        "fiscal_difficulty": reg["fiscal_difficulty"].to_numpy(),
        "optimum": reg["transfer_per_capita"].to_numpy(),
        "formula": (reg["baseline_special_fund"] + reg["baseline_incentive"]).to_numpy() * yuan / people})
    if "actual_transfer" in reg.columns:
        frame["actual"] = reg["actual_transfer"].to_numpy(dtype=float) * yuan / people
    return frame


def transfer_per_head(result: Result, lang: str = "en", year: int | None = None) -> Figure:
    """Transfer per head by region against the factor formula (and the actual transfer when
    regions.csv has it), yuan per person, in ``year`` (default: the first)."""
    year = _year(result, year)
    lab = _labels(result, lang)
    table = per_head_table(result, year)
    table["name"] = table["region"].map(region_names(result.region_labels, lang))
    has_actual = "actual" in table.columns and table["actual"].notna().any()
    with style():
        if len(table) > MANY:
            fig, (ax,) = _figure(4.6)
            colours = _group_colours(table["group"])
            for group, rows in table.groupby("group", sort=False):
                ax.scatter(rows["formula"], rows["optimum"], s=6, alpha=0.6, color=colours[group],
                           label=named(GROUP_NAMES, str(group), lang), linewidths=0)
            top = float(np.nanmax(table[["formula", "optimum"]].to_numpy()))
            ax.plot([0, top], [0, top], color=EQUALITY, linewidth=0.8, zorder=0)
            ax.set_xlabel(f"{lab('baseline')}, {lab('c_per_head_x')}")
            ax.set_ylabel(f"{lab('optimum')}, {lab('c_per_head_x')}")
            ax.legend(loc="upper left", markerscale=2)
        else:
            table = table.sort_values("optimum", ascending=True, kind="stable")
            fig, (ax,) = _figure(0.9 + 0.19 * len(table))
            pos = np.arange(len(table))
            ax.barh(pos, table["optimum"], height=0.7, color=OPTIMUM, label=lab("optimum"))
            ax.scatter(table["formula"], pos, marker="|", s=90, linewidths=1.8, color=FORMULA, zorder=3,
                       label=lab("baseline"))
            if has_actual:
                ax.scatter(table["actual"], pos, marker="D", s=14, color=ACTUAL, zorder=4, label=lab("c_actual"))
            ax.set_yticks(pos, table["name"].tolist())
            ax.set_ylim(-0.6, len(table) - 0.4)
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
            ax.set_xlabel(lab("c_per_head_x"))
            ax.legend(loc="lower right")
        ax.xaxis.set_major_formatter(_thousands())
        ax.set_title(lab("c_per_head", year=year))
    return fig


def lorenz(result: Result, lang: str = "en", year: int | None = None) -> Figure:
    """Lorenz curves of resources per head before transfers, under the formula and at the optimum,
    in ``year`` (default: the first), with each state's Gini coefficient."""
    year = _year(result, year)
    lab = _labels(result, lang)
    reg = result.regions[result.regions["year"] == year]
    yuan = result.instance.yuan_per_unit
    people = reg["population"].to_numpy()
    before = reg["resources_per_capita_before"].to_numpy()
    states = {"before": before,
              "baseline": before + (reg["baseline_special_fund"] + reg["baseline_incentive"]).to_numpy() * yuan / people,
              "optimum": reg["resources_per_capita_after"].to_numpy()}
    gini = result.metrics[result.metrics["year"] == year].set_index("state")["gini"]
    with style():
        fig, (ax,) = _figure(3.5, width=WIDTH / 2)
        ax.plot([0, 1], [0, 1], color=EQUALITY, linewidth=0.8, label=lab("equality"))
        for state, colour in (("before", BEFORE), ("baseline", FORMULA), ("optimum", OPTIMUM)):
            x, y = _lorenz_points(states[state], people)
            ax.plot(x, y, color=colour, linewidth=1.6 if state == "optimum" else 1.2,
                    label=f"{lab(state)} (Gini {gini.get(state, float('nan')):.3f})")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.xaxis.set_major_formatter(_percent())
        ax.yaxis.set_major_formatter(_percent())
        ax.set_xlabel(lab("c_lorenz_x"))
        ax.set_ylabel(lab("c_lorenz_y"))
        ax.legend(loc="upper left")
        ax.set_title(lab("c_lorenz", year=year))
    return fig


def _lorenz_points(per_head: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative population and resource shares, poorest first, starting at (0, 0)."""
    order = np.argsort(per_head, kind="stable")
    w, v = people[order], per_head[order]
    x = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    y = np.concatenate([[0.0], np.cumsum(w * v) / (w * v).sum()])
    return x, y


def coverage(result: Result, lang: str = "en", year: int | None = None) -> Figure:
    """Heat map of coverage after transfers (local funding plus special fund over standard cost) by
    region × service in ``year`` (default: the first); by group × service above :data:`MANY` regions."""
    year = _year(result, year)
    lab = _labels(result, lang)
    alloc = result.allocations[result.allocations["year"] == year]
    services = list(dict.fromkeys(result.allocations["service"]))
    if alloc["region"].nunique() > MANY:
        cov = result.statistics.coverage(groupby=["group", "service"]).xs(year, level="year").unstack("service")
        rows = [named(GROUP_NAMES, str(g), lang) for g in cov.index]
        title = lab("c_heat_groups", year=year)
    else:
        cov = alloc.pivot(index="region", columns="service", values="coverage_after")
        cov = cov.loc[list(dict.fromkeys(alloc["region"]))]
        rows = cov.index.map(region_names(result.region_labels, lang)).tolist()
        title = lab("c_heat", year=year)
    values = cov[services].to_numpy(dtype=float)
    with style():
        fig, (ax,) = _figure(1.0 + 0.2 * len(rows))
        shown = np.clip(values, 0.0, 1.0)
        image = ax.imshow(np.ma.masked_invalid(shown), cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(services)), [named(SERVICE_NAMES, s, lang) for s in services])
        ax.set_yticks(range(len(rows)), rows)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.grid(False)
        for side in ax.spines.values():
            side.set_visible(False)
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                text = "≥100%" if value >= 0.9995 else f"{100 * value:.0f}%"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if shown[i, j] > 0.6 else "#202020")
        bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.01, format=_percent())
        bar.outline.set_visible(False)
        ax.set_title(title)
    return fig


def need(result: Result, lang: str = "en", year: int | None = None) -> Figure:
    """Transfer per head (yuan per person) against fiscal difficulty and against the migrant share of
    residents, at the optimum (filled) and under the formula (hollow), in ``year`` (default: the first)."""
    year = _year(result, year)
    lab = _labels(result, lang)
    table = per_head_table(result, year)
    colours = _group_colours(table["group"])
    size = 8 if len(table) > MANY else 22
    with style():
        fig, axes = _figure(3.2, ncols=2)
        for ax, column, xlabel in ((axes[0], "fiscal_difficulty", "c_difficulty"),
                                   (axes[1], "migrant_share", "c_migrant_share")):
            for group, rows in table.groupby("group", sort=False):
                ax.scatter(rows[column], rows["formula"], s=size, facecolors="none", edgecolors=colours[group],
                           linewidths=0.6, alpha=0.7)
                ax.scatter(rows[column], rows["optimum"], s=size, color=colours[group], linewidths=0,
                           label=named(GROUP_NAMES, str(group), lang))
            ax.set_xlabel(lab(xlabel))
            ax.yaxis.set_major_formatter(_thousands())
        axes[1].xaxis.set_major_formatter(_percent())
        axes[0].set_ylabel(lab("c_per_head_x"))
        axes[1].legend(loc="best", title=f"● {lab('optimum')}   ○ {lab('baseline')}", title_fontsize=7.5)
        fig.suptitle(lab("c_need", year=year), x=0.01, ha="left", fontsize=10)
    return fig


def shadow_price(result: Result, lang: str = "en") -> Figure:
    """The special-fund budget's shadow price by year: the objective's change per extra money_unit."""
    lab = _labels(result, lang)
    prices = result.shadow_prices
    values = pd.to_numeric(prices["budget_shadow_price"], errors="coerce").to_numpy(dtype=float)
    years = [str(y) for y in prices["year"]]
    with style():
        fig, (ax,) = _figure(2.2)
        bars = ax.bar(years, np.nan_to_num(values), color=OPTIMUM, width=0.6)
        ax.bar_label(bars, labels=[ratio(v) for v in values], padding=2, fontsize=7.5)
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.set_ylabel(lab("c_price_y", unit=lab.unit, objective=lab.objective(result.summary["objective_name"])))
        ax.grid(axis="x", visible=False)
        ax.margins(y=0.18)
        ax.set_title(lab("c_price"))
    return fig


def groups(result: Result, lang: str = "en") -> Figure:
    """Transfers by group summed over years: the optimum beside the formula (and the actual transfer
    when regions.csv has it), money_unit."""
    lab = _labels(result, lang)
    stats = result.statistics
    table = pd.DataFrame({"optimum": stats.transfer("group", aggregate_years=True),
                          "baseline": stats.formula_transfer("group", aggregate_years=True)})
    if "actual_transfer" in stats.names():
        actual = stats.actual_transfer("group", aggregate_years=True)
        if actual.notna().any():
            table["c_actual"] = actual
    colours = {"optimum": OPTIMUM, "baseline": FORMULA, "c_actual": ACTUAL}
    with style():
        fig, (ax,) = _figure(3.5, width=WIDTH / 2)
        pos = np.arange(len(table))
        width = 0.8 / len(table.columns)
        for k, column in enumerate(table.columns):
            bars = ax.bar(pos + (k - (len(table.columns) - 1) / 2) * width, table[column], width=width * 0.95,
                          color=colours[column], label=lab(column))
            ax.bar_label(bars, labels=[f"{v:,.0f}" for v in table[column]], padding=1.5, fontsize=6,
                         rotation=90 if len(table) > 3 else 0)
        ax.set_xticks(pos, [named(GROUP_NAMES, str(g), lang) for g in table.index])
        ax.yaxis.set_major_formatter(_thousands())
        ax.set_ylabel(lab.unit)
        ax.grid(axis="x", visible=False)
        ax.margins(y=0.22)
        ax.legend(loc="upper left", ncols=len(table.columns))
        ax.set_title(lab("c_groups"))
    return fig


@cache
def _provinces():  # noqa: ANN202 - a GeoDataFrame, or None without the maps extra
    """China's provincial boundaries from cnmaps and its data package (``pip install 'fiscal-opt[maps]'``),
    simplified for drawing; ``None`` when they are not installed. The data's own coordinates are kept
    (GCJ-02 for most provinces: a few hundred metres off WGS84, invisible at this scale, and the
    conversion would take seconds)."""
    try:
        from cnmaps import get_adm_maps
    except ImportError:
        return None
    shapes = get_adm_maps(level="省", engine="geopandas", wgs84=False, simplify=True)[["province", "geometry"]].copy()
    shapes["geometry"] = shapes.geometry.simplify(0.03)
    return shapes


def _match_provinces(shapes: pd.DataFrame, names: pd.Series) -> dict[str, str]:
    """Region id → province name of the boundary data, by the Chinese name's start (北京 → 北京市)."""
    matched = {}
    for region, name in names.items():
        hits = [p for p in shapes["province"] if name and str(p).startswith(str(name))]
        if len(hits) == 1:
            matched[region] = hits[0]
    return matched


def province_map(result: Result, lang: str = "en", year: int | None = None) -> Figure | None:
    """Choropleth of transfer per head (yuan per person) by province in ``year`` (default: the first).
    An optional extra: ``None`` unless the boundaries are installed (``pip install 'fiscal-opt[maps]'``)
    and the instance's regions are China's provinces (``name_zh`` matches at least 90 % of them)."""
    shapes = _provinces()
    if shapes is None or "name_zh" not in result.region_labels.columns:
        return None
    year = _year(result, year)
    zh = result.region_labels.set_index("region")["name_zh"]
    matched = _match_provinces(shapes, zh)
    if len(matched) < 0.9 * len(zh):
        return None
    lab = _labels(result, lang)
    table = per_head_table(result, year).set_index("region")
    value = pd.Series({matched[r]: table.loc[r, "optimum"] for r in matched})
    frame = shapes.assign(value=shapes["province"].map(value))
    names = region_names(result.region_labels, lang)
    with style():
        fig, (ax,) = _figure(4.6)
        frame[frame["value"].isna()].plot(ax=ax, color="#eeeeee", edgecolor="white", linewidth=0.4)
        frame[frame["value"].notna()].plot(ax=ax, column="value", cmap="Blues", edgecolor="white", linewidth=0.4,
                                           legend=True, legend_kwds={"shrink": 0.6, "format": _thousands(),
                                                                     "label": lab("c_per_head_x")})
        low, high = float(value.min()), float(value.max())
        for region, province in matched.items():
            point = frame.loc[frame["province"] == province, "geometry"].iloc[0].representative_point()
            dark = high > low and (value[province] - low) / (high - low) > 0.6
            ax.annotate(names[region], (point.x, point.y), ha="center", va="center", fontsize=5.5,
                        color="white" if dark else "#202020")
        ax.set_aspect(1 / np.cos(np.radians(35)))
        ax.set_axis_off()
        ax.set_title(lab("c_map", year=year))
    return fig


SERVICE_COLOURS = ("#1f4e79", "#c55a11", "#2e7d32", "#7b1fa2", "#8c564b", "#17becf")
"""Colours of the services, in the instance's order, where a chart stacks them."""


def places(result: Result, lang: str = "en") -> Figure | None:
    """Where places are built and where they stand idle (MODEL-v2 §11): by region (by group above
    :data:`MANY` regions), places started over the horizon and idle places in the last year,
    stacked by service, in thousands of places. ``None`` when no service has places."""
    table = result.places
    if table.empty:
        return None
    lab = _labels(result, lang)
    last = int(result.summary["years"][-1])
    services = list(dict.fromkeys(table["service"]))
    many = table["region"].nunique() > MANY
    key = "group" if many else "region"
    frame = table.merge(result.region_labels[["region", "group"]], on="region", how="left")
    built = frame.pivot_table(index=key, columns="service", values="started", aggfunc="sum", sort=False)[services]
    idle = frame[frame["year"] == last].pivot_table(index=key, columns="service", values="idle", aggfunc="sum",
                                                    sort=False)[services]
    order = (built.sum(axis=1) + idle.sum(axis=1)).sort_values(ascending=True, kind="stable").index
    built, idle = built.loc[order] / 1e3, idle.loc[order] / 1e3
    names = [named(GROUP_NAMES, str(g), lang) for g in order] if many else \
        order.map(region_names(result.region_labels, lang)).tolist()
    with style():
        fig, axes = _figure(1.1 + 0.19 * len(order), ncols=2)
        pos = np.arange(len(order))
        for ax, values, title in ((axes[0], built, lab("c_places_built", years=lab.years(result.summary["years"]))),
                                  (axes[1], idle, lab("c_places_idle", year=last))):
            left = np.zeros(len(order))
            for k, service in enumerate(services):
                ax.barh(pos, values[service].to_numpy(), left=left, height=0.7,
                        color=SERVICE_COLOURS[k % len(SERVICE_COLOURS)], label=named(SERVICE_NAMES, service, lang))
                left += values[service].to_numpy()
            ax.set_yticks(pos, names)
            ax.set_ylim(-0.6, len(order) - 0.4)
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
            ax.set_xlabel(lab("c_places_x"))
            ax.xaxis.set_major_formatter(_thousands())
            ax.set_title(title)
        axes[1].tick_params(axis="y", labelleft=False)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(services))
    return fig


RESULT_CHARTS: dict[str, Callable[..., Figure]] = {
    "transfer_per_head": transfer_per_head, "coverage": coverage, "lorenz": lorenz, "groups": groups, "need": need,
    "shadow_price": shadow_price}
"""The charts of a solve's report, in the order the page shows them."""
HALF_WIDTH = ("lorenz", "groups")
"""Charts drawn half the page wide, shown side by side."""
OPTIONAL_CHARTS: dict[str, Callable[..., Figure | None]] = {"province_map": province_map, "places": places}
"""Charts that need an extra (and the right instance); each returns ``None`` when it cannot be drawn."""


class Plots:
    """``res.plot``: the report's charts as matplotlib figures (``res.plot.lorenz(lang="zh")``)."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(RESULT_CHARTS) | set(OPTIONAL_CHARTS))

    def __getattr__(self, name: str) -> Callable[..., Figure]:
        charts = RESULT_CHARTS | OPTIONAL_CHARTS
        if name not in charts:
            raise AttributeError(f"no chart {name!r}; the charts are {', '.join(charts)}")
        chart = charts[name]

        def draw(*args: object, **kwargs: object) -> Figure | None:
            return chart(self._result, *args, **kwargs)
        draw.__doc__ = chart.__doc__
        draw.__name__ = name
        return draw

    def all(self, lang: str = "en") -> dict[str, Figure]:
        """Every chart, by name."""
        return {name: chart(self._result, lang) for name, chart in RESULT_CHARTS.items()}


# ----------------------------------------------------------------------------- compare and sweep tables


def summarise_points(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per ``by`` value (a policy, or a sweep value) of a compare or sweep table: weighted
    shortfall summed over years, Gini averaged, minimum coverage the lowest, shadow price averaged;
    infeasible points (``status`` column) kept with missing figures."""
    frame = table.copy()
    if "status" in frame.columns:
        frame.loc[frame["status"] != "optimal", ["weighted_shortfall", "gini", "min_coverage"]] = np.nan
    grouped = frame.groupby(by, sort=False)
    out = pd.DataFrame({"weighted_shortfall": grouped["weighted_shortfall"].sum(min_count=1),
                        "gini": grouped["gini"].mean(), "min_coverage": grouped["min_coverage"].min()})
    if "budget_shadow_price" in frame.columns:
        out["budget_shadow_price"] = pd.to_numeric(frame["budget_shadow_price"], errors="coerce") \
            .groupby(frame[by], sort=False).mean()
    return out


def frontier(table: pd.DataFrame, lang: str = "en", by: str = "policy", money_unit: str = "100m_yuan",
             point_label: Callable[[object], str] = str, join: bool | None = None) -> Figure:
    """The efficiency–equity frontier of a compare or sweep table: weighted shortfall (money_unit)
    against the Gini coefficient and against the lowest coverage, one point per ``by`` value,
    joined in order for a sweep (``join``; not for a compare table or a grid). The formula
    baseline of a compare table is a star."""
    lab = Labels(lang, money_unit)
    points = summarise_points(table, by).dropna(subset=["weighted_shortfall"])
    is_formula = points.index.to_series().astype(str).eq("formula baseline").to_numpy()
    with style():
        fig, axes = _figure(3.3, ncols=2)
        for ax, column, xlabel in ((axes[0], "gini", "c_frontier_gini"), (axes[1], "min_coverage", "c_frontier_min")):
            policies = points[~is_formula]
            if join if join is not None else by != "policy":
                ax.plot(policies[column], policies["weighted_shortfall"], color=OPTIMUM, linewidth=1, zorder=2)
            ax.scatter(policies[column], policies["weighted_shortfall"], color=OPTIMUM, s=26, zorder=3)
            if is_formula.any():
                ax.scatter(points.loc[is_formula, column], points.loc[is_formula, "weighted_shortfall"],
                           marker="*", s=110, color=FORMULA, zorder=3)
            step = max(1, len(points) // 8)
            for k, (name, row) in enumerate(points.iterrows()):
                if k % step == 0 or k == len(points) - 1:
                    shown = lab("baseline") if str(name) == "formula baseline" else one_line(point_label(name))
                    ax.annotate(shown, (row[column], row["weighted_shortfall"]), textcoords="offset points",
                                xytext=(4, 4), fontsize=7)
            ax.set_xlabel(lab(xlabel))
            ax.yaxis.set_major_formatter(_thousands())
        axes[1].xaxis.set_major_formatter(_percent())
        axes[0].set_ylabel(f"{lab('c_frontier_shortfall')}, {lab.unit}")
        fig.suptitle(lab("c_frontier"), x=0.01, ha="left", fontsize=10)
    return fig


def sweep_shadow_price(table: pd.DataFrame, lang: str = "en", money_unit: str = "100m_yuan",
                       value_format: Callable[[float], str] = "{:g}".format, series: str | None = None,
                       series_format: Callable[[float], str] = str) -> Figure:
    """The budget's shadow price along a sweep, one line per year (infeasible points are gaps); with
    ``series`` (a grid's ``value_2``), one line per value of that column, averaged over years."""
    lab = Labels(lang, money_unit)
    frame = table.assign(price=pd.to_numeric(table["budget_shadow_price"], errors="coerce"))
    if series is None:
        lines = {str(year): frame[frame["year"] == year] for year in dict.fromkeys(frame["year"])}
    else:
        lines = {series_format(v): part.groupby("value", sort=False, as_index=False)["price"].mean()
                 for v, part in frame.groupby(series, sort=False)}
    names = frame["objective_name"].dropna()
    objective = lab.objective(str(names.iloc[0])) if len(names) else ""
    with style():
        fig, (ax,) = _figure(2.8)
        for k, (name, rows) in enumerate(lines.items()):
            ax.plot(rows["value"], rows["price"], marker="o", markersize=3, linewidth=1.2,
                    color=GROUP_COLOURS[k % len(GROUP_COLOURS)] if len(lines) > 1 else OPTIMUM, label=name)
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.xaxis.set_major_formatter(_formatter(value_format))
        ax.set_ylabel(lab("c_price_y", unit=lab.unit, objective=objective))
        if len(lines) > 1:
            ax.legend(loc="best", ncols=min(len(lines), 6))
        ax.set_title(lab("c_sweep_price"))
    return fig


def sweep_group_shares(table: pd.DataFrame, lang: str = "en",
                       value_format: Callable[[float], str] = "{:g}".format) -> Figure | None:
    """Each group's share of all transfers along a sweep (averaged over years); ``None`` when the
    table has no ``transfer_share_<group>`` columns."""
    from ..results.statistics import SHARE_PREFIX

    columns = [c for c in table.columns if str(c).startswith(SHARE_PREFIX)]
    if not columns:
        return None
    lab = Labels(lang)
    shares = table.groupby("value", sort=False)[columns].mean()
    colours = _group_colours(pd.Series([c[len(SHARE_PREFIX):] for c in columns]))
    with style():
        fig, (ax,) = _figure(2.8)
        for column in columns:
            group = column[len(SHARE_PREFIX):]
            ax.plot(shares.index, shares[column], marker="o", markersize=3, linewidth=1.4,
                    color=colours[group], label=named(GROUP_NAMES, group, lang))
        ax.yaxis.set_major_formatter(_percent())
        ax.xaxis.set_major_formatter(_formatter(value_format))
        ax.set_ylabel(lab("c_share_y"))
        ax.legend(loc="best", ncols=min(len(columns), 4))
        ax.set_title(lab("c_sweep_shares"))
    return fig


def _percent():  # noqa: ANN202 - a matplotlib formatter
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=None)


def _thousands():  # noqa: ANN202 - a matplotlib formatter
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:.2g}")


def _formatter(text: Callable[[float], str]):  # noqa: ANN202 - a matplotlib formatter
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: text(v))
