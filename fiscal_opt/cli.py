"""The ``fiscal-opt`` command: a thin shell over the library that maps errors to exit codes.

0 solved; 2 bad input; 3 infeasible (with the diagnosis); 4 solver failure or limit; 5 the results
cannot be written (read-only or unwritable folder, full disk, file-size limit).
Heavy modules (Pyomo, HiGHS, pandas) are imported inside the commands so that ``--help`` is fast.
Text from users' files (names, paths, messages quoting values) goes through :func:`escape` before
Rich prints it, so that ``[bold]`` or ``:warning:`` in a region name is shown as written, never read
as markup or an emoji code, and a name of a million characters prints at once, shortened.
"""

from __future__ import annotations

import math
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.table import Table

from .report import WIDTH

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Allocate central special funds and incentives so every region can serve its residents.")
out_console = Console(emoji=False, width=None if sys.stdout.isatty() else WIDTH)
"""Standard output, as wide as the terminal, or WIDTH columns into a file or a pipe (Rich would take 80)."""
err_console = Console(stderr=True, emoji=False)

SHOWN_CHARACTERS = 300
"""Characters of a line of user text the terminal shows; the rest is counted."""
SHOWN_LINES = 1000
"""Lines of one text the terminal shows (a message lists at most 500 problems of a file)."""
_VISIBLE_CONTROLS = {c: repr(chr(c))[1:-1] for c in [*range(32), *range(127, 160)] if chr(c) != "\n"}
COMPARE_COLUMNS = {"policy": "policy", "year": "year", "status": "status", "weighted_shortfall": "shortfall",
                   "min_coverage": "min cov", "budget_used": "used", "gini": "gini", "max_min_ratio": "max/min",
                   "budget_shadow_price": "price", "soft_bends": "soft rules bent"}
SWEEP_COLUMNS = {"value": "value", "status": "status", "year": "year", "weighted_shortfall": "shortfall",
                 "min_coverage": "min cov", "gini": "gini", "budget_shadow_price": "price",
                 "soft_bends": "soft rules bent"}


def escape(text: str) -> str:
    """User text as Rich should print it literally: at most SHOWN_LINES lines of at most
    SHOWN_CHARACTERS each (with the count of the rest), control characters written as escapes
    (``\\r``, ``\\x1b``), markup escaped. The consoles interpret no emoji codes."""
    lines = text.split("\n", SHOWN_LINES)
    rest = lines.pop().count("\n") + 1 if len(lines) > SHOWN_LINES else 0
    shown = [line if len(line) <= SHOWN_CHARACTERS else
             f"{line[:SHOWN_CHARACTERS]}… ({len(line) - SHOWN_CHARACTERS:,} more characters)" for line in lines]
    return escape_markup("\n".join(shown + ([f"… ({rest:,} more lines)"] if rest else [])).translate(_VISIBLE_CONTROLS))


def _fail(exc: Exception) -> None:
    from .errors import FiscalOptError

    assert isinstance(exc, FiscalOptError)
    label = {2: "bad input", 3: "infeasible", 4: "solver failure", 5: "cannot write"}.get(exc.exit_code, "error")
    err_console.print(f"[bold red]{label}:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def _formats(text: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in text.split(",") if f.strip())


def _number(v: float | None) -> str:
    if v is None or v != v:
        return ""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", help="KEY=VALUE: change one value of the instance before it is read, e.g. "
    "budget.special_fund=30000 or policy.min_coverage=0.6 (with --policy: of each policy file); repeat for more.")]


def _load_files(instance: Path, policies: list[Path], assignments: list[str] | None):  # noqa: ANN202
    """The instance, the seconds its loading took, and the policy files, each with the ``--set``
    assignments that name its keys (``policy.…`` keys go to the policy files when some are given)."""
    import fiscal_opt as fo
    from .io.overrides import parse_assignments, split_policy

    overrides = parse_assignments(assignments or [])
    own, for_policy = split_policy(overrides) if policies else (overrides, {})
    inst, loaded = _timed_load(instance, own)
    return inst, loaded, [fo.load_policy(p, for_policy) for p in policies]


def _timed_load(path: Path, overrides: dict[str, str] | None = None):  # noqa: ANN202 - (Instance, seconds)
    import time

    import fiscal_opt as fo

    start = time.perf_counter()
    return fo.load_instance(path, overrides), time.perf_counter() - start


@app.command()
def solve(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Folder for the result files.")] = None,
    format: Annotated[str, typer.Option("--format", help="Comma-separated: csv,json,md,html,xlsx.")] = "csv,json,md",
    solver: Annotated[str, typer.Option(help="highs (HiGHS directly, the default) or a solver Pyomo knows: glpk, "
                                        "cbc, appsi_highs, gurobi, cplex, copt, ….")] = "highs",
    method: Annotated[str, typer.Option(help="HiGHS method: choose, simplex or ipm.")] = "choose",
    time_limit: Annotated[Optional[float], typer.Option(help="Seconds per solve stage.")] = None,
    lang: Annotated[str, typer.Option(help="Language of the reports and region names: en or zh.")] = "en",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json's facts as JSON instead of the table.")]
    = False,
    set_: SetOption = None,
) -> None:
    """Solve an instance, write the result files and print what each region gets."""

    from .errors import FiscalOptError, InfeasibleError
    from .report.write import check_formats, check_output, write_infeasible

    try:
        import fiscal_opt as fo

        _check_lang(lang)
        if out is not None:
            formats = check_output(out, _formats(format))  # before solving: fail fast where results cannot go
        else:
            check_formats(_formats(format))  # unused without --out, but a mistyped --format is still refused
        with _working("Loading the instance", quiet or as_json):
            inst, loaded, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        pol = policies[0] if policies else None
        if not (quiet or as_json):
            _print_notes(inst.notes)
        with _working(f"Solving {len(inst.region_ids):,} regions × {len(inst.years)} years", quiet or as_json):
            result = fo.solve(inst, pol, options=fo.SolverOptions(method=method, time_limit=time_limit,
                                                                  solver=solver))
        result.timings["load"] = loaded
        if out is not None:
            with _working("Writing the results and reports", quiet or as_json):
                result.write(out, formats, lang=lang)
    except InfeasibleError as exc:
        if out is not None:
            try:
                write_infeasible(out, exc)
            except FiscalOptError as write_exc:
                _fail(write_exc)
        _fail(exc)
    except FiscalOptError as exc:
        _fail(exc)
    if as_json:
        import json

        facts = result.summary | {"timings": {k: round(v, 6) for k, v in result.timings.items()}}
        sys.stdout.write(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
        return
    if quiet:
        return
    from .report.terminal import print_result

    print_result(out_console, result, lang)
    if out is not None:
        out_console.print(f"Results written to [bold]{escape(str(out))}[/]")


def _check_lang(lang: str) -> None:
    from .errors import InputError, Problem

    if lang not in ("en", "zh"):
        raise InputError(Problem("--lang", "", f"unknown language {lang!r}; choose en or zh"))


@contextmanager
def _working(message: str, silent: bool) -> Iterator[None]:
    """A spinner on stderr while a slow step runs (nothing when silent or not on a terminal)."""
    if silent or not err_console.is_terminal:
        yield
        return
    with err_console.status(escape(message) + "…", spinner="dots"):
        yield


@app.command()
def compare(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    policy: Annotated[list[Path], typer.Option(help="A policy file; repeat for each policy to compare.")],
    solver: Annotated[str, typer.Option(help="highs (the default) or a solver Pyomo knows (glpk, cbc, …).")] = "highs",
    out: Annotated[Optional[Path], typer.Option(help="Write the table as CSV to this file.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Folder for a report (HTML and Markdown with charts).")]
    = None,
    lang: Annotated[str, typer.Option(help="Language of the report: en or zh.")] = "en",
    set_: SetOption = None,
) -> None:
    """One instance under several policies, side by side, with the formula baseline (the terminal shows the
    main columns; --out writes them all, --report draws the efficiency-equity frontier)."""
    from .errors import FiscalOptError

    try:
        import fiscal_opt as fo
        from .analysis.compare import compare as compare_policies

        _check_lang(lang)
        _check_report_folder(report)
        inst, _, policies = _load_files(instance, policy, set_)
        with _working(f"Solving {len(policy)} policies", False):
            table = compare_policies(inst, policies, fo.SolverOptions(solver=solver))
        if report is not None:
            from .report.frontier import compare_page

            _write_report(compare_page(table, inst.name, inst.money_unit, lang), report)
    except FiscalOptError as exc:
        _fail(exc)
    _print_table(table, COMPARE_COLUMNS, "policy")
    if out is not None:
        _write_table(table, out)
    if report is not None:
        out_console.print(f"Report written to {escape(str(report))}")


def _check_report_folder(report: Path | None) -> None:
    if report is not None:
        from .report.write import check_out_folder

        check_out_folder(report)


def _write_report(page, report: Path) -> None:  # noqa: ANN001 - a Page, imported lazily
    from .report.write import write_pages

    with _working("Writing the report", False):
        write_pages(page, report)


def _print_table(table, columns: dict[str, str], text_column: str) -> None:  # noqa: ANN001 - a DataFrame
    """The columns of ``table`` that say something (a year column when there are several years, the
    soft bends when a rule bent), named as ``columns`` says, within the terminal's width."""
    shown = table[[c for c in columns if c != "year" or table["year"].nunique() > 1]].copy()
    if "soft_bends" in shown:  # the terminal names the rules that bend and where; the CSV has the amounts
        bends = shown["soft_bends"].astype(object).fillna("")
        shown["soft_bends"] = bends.str.replace(r": (\d+) × [^;]*", r" ×\1", regex=True)
        if not shown["soft_bends"].any():
            shown = shown.drop(columns="soft_bends")
    bent = columns.get("soft_bends")
    shown = shown.rename(columns=columns)
    view = Table(show_edge=False, header_style="bold")
    for col in shown.columns:  # numbers whole on one line; the names of bent rules wrap
        view.add_column(col, justify="left" if col in (columns[text_column], bent) else "right",
                        no_wrap=col != bent, min_width=16 if col == "policy" else len(col) if col != bent else 12)
    for row in shown.itertuples(index=False):
        view.add_row(*(_number(v) if isinstance(v, float) or v is None else escape(str(v)) for v in row))
    out_console.print(view)


def _write_table(table, out: Path) -> None:  # noqa: ANN001 - a DataFrame
    from .errors import OutputError
    from .report.write import write_csv, write_records

    try:
        (write_records if out.suffix.lower() == ".json" else write_csv)(table, out)
    except OSError as exc:
        _fail(OutputError(str(out), "write the table", exc))
    out_console.print(f"Table written to {escape(str(out))}")


@app.command()
def sweep(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=START:STOP:STEP: budget (money_unit, or "
                                                       "80%:120%:10% of the instance's own), a rule's parameter "
                                                       "(min_coverage, per_capita_floor, gini_max, "
                                                       "hold_harmless.max_cut, …) or coverage_value.levels[K]; "
                                                       "twice for a grid.")] = None,
    budget: Annotated[Optional[str], typer.Option(help="START:STOP:STEP: each year's special fund in money_unit, "
                                                  "or 80%:120%:10% of the instance's own.")] = None,
    per_capita_floor: Annotated[Optional[str], typer.Option(help="START:STOP:STEP of the floor's share.")] = None,
    min_coverage: Annotated[Optional[str], typer.Option(help="START:STOP:STEP of the minimum coverage.")] = None,
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    solver: Annotated[str, typer.Option(help="highs (the default) or a solver Pyomo knows (glpk, cbc, …).")] = "highs",
    out: Annotated[Optional[Path], typer.Option(help="Write the table to this file: JSON if it ends in .json, "
                                                "else CSV.")] = None,
    report: Annotated[Optional[Path], typer.Option(help="Folder for a report (HTML and Markdown with charts).")]
    = None,
    lang: Annotated[str, typer.Option(help="Language of the report: en or zh.")] = "en",
    scheduler: Annotated[Optional[str], typer.Option(help="A Dask scheduler, tcp://HOST:PORT, to solve on (default: "
                                                     "$FISCAL_OPT_SCHEDULER, else this machine).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Local worker processes (default: every core).")] = None,
    cold: Annotated[bool, typer.Option("--cold", help="Solve every point from scratch instead of from the previous "
                                       "point's basis (the same answers, slower).")] = False,
    set_: SetOption = None,
) -> None:
    """Re-solve over a range of one parameter, or a grid of two: the efficiency-equity frontier
    (shortfall against Gini and minimum coverage) and the budget's shadow price along it; infeasible
    points are rows too."""
    from .errors import FiscalOptError, InputError, Problem

    try:
        import fiscal_opt as fo
        from .analysis.executor import make_executor
        from .analysis.sweeps import Axis, budget_note, parse_param, parse_range, sweep_grid

        named = {name: text for name, text in (("budget", budget), ("per_capita_floor", per_capita_floor),
                                               ("min_coverage", min_coverage)) if text is not None}
        ranges = [(parse_param(text), text.partition("=")[2].strip()) for text in param or []]
        ranges += [(Axis(name, *parse_range(text, "--" + name.replace("_", "-"))), text) for name, text in named.items()]
        if not 1 <= len(ranges) <= 2:
            raise InputError(Problem("sweep", "", "give one parameter to sweep, or two for a grid: --param NAME=START:"
                                     "STOP:STEP (or --budget, --per-capita-floor, --min-coverage)"))
        _check_lang(lang)
        _check_report_folder(report)
        for axis, text in ranges:
            if axis.name == "budget" and axis.values.min() < 0:
                shown = f"{axis.values.min() * (100 if axis.relative else 1):g}{'%' if axis.relative else ''}"
                raise InputError(Problem(axis.option, "", f"a budget cannot be negative; the range {text!r} starts at "
                                         f"{shown}"))
        axes = [axis for axis, _ in ranges]
        inst, _, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        for axis in axes:
            note = budget_note(inst, axis.values, axis.relative) if axis.name == "budget" else None
            if note:
                err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
        points = math.prod(len(axis.values) for axis in axes)
        executor = make_executor(scheduler, workers, _cells(inst) * points)
        try:
            with _progress(f"Solving {points:,} points", points) as advance:
                table = sweep_grid(inst, policies[0] if policies else None, axes,
                                   fo.SolverOptions(solver=solver), executor=executor, warm=not cold, progress=advance)
        finally:
            executor.close()
        if report is not None:
            from .report.frontier import sweep_page

            _write_report(sweep_page(table, inst.name, inst.money_unit, lang), report)
    except FiscalOptError as exc:
        _fail(exc)
    columns = SWEEP_COLUMNS
    if "value_2" in table:
        columns = {"value": table["parameter"].iloc[0], "value_2": table["parameter_2"].iloc[0]} | \
            {k: v for k, v in columns.items() if k != "value"}
    _print_table(table, columns, "status")
    if out is not None:
        _write_table(table, out)
    if report is not None:
        out_console.print(f"Report written to {escape(str(report))}")


def _cells(inst) -> int:  # noqa: ANN001 - an Instance
    """Region × service × year cells of ``inst``: the size of its LP, roughly."""
    return len(inst.regions) * len(inst.services)


@contextmanager
def _progress(message: str, total: int, silent: bool = False) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr counting ``total`` solves (nothing when silent or not on a terminal);
    yields the function to call after each."""
    if silent or not err_console.is_terminal:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(escape(message), total=total)
        yield lambda: bar.advance(task)


@app.command()
def scenarios(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    scenarios_file: Annotated[Path, typer.Option("--scenarios", help="Scenario file (YAML): changes to the "
                                                 "instance and the quantities drawn (docs/scenarios.md).")],
    draws: Annotated[Optional[int], typer.Option(help="Number of draws (default: the scenario file's draws).")]
    = None,
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Folder for draws.csv, regions.csv, rules.csv and "
                                                "summary.json.")] = None,
    solver: Annotated[str, typer.Option(help="highs (the default) or a solver Pyomo knows (glpk, cbc, …).")] = "highs",
    scheduler: Annotated[Optional[str], typer.Option(help="A Dask scheduler, tcp://HOST:PORT, to solve on (default: "
                                                     "$FISCAL_OPT_SCHEDULER, else this machine).")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Local worker processes (default: every core).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    set_: SetOption = None,
) -> None:
    """Solve every Monte Carlo draw of a scenario file under the policy: per region, the spread of its
    allocation; per rule, how often it binds; how often the formula and the optimum break the judged levels."""
    from .errors import FiscalOptError

    try:
        import fiscal_opt as fo
        from .analysis.executor import make_executor
        from .analysis.scenarios import run_scenarios
        from .io.scenario import load_scenario

        if out is not None:
            from .report.write import check_out_folder

            check_out_folder(out)
        inst, _, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        pol = policies[0] if policies else None
        scenario = load_scenario(scenarios_file)
        count = draws if draws is not None else scenario.spec.draws or 0
        executor = make_executor(scheduler, workers, _cells(inst) * count)
        try:
            with _progress(f"Solving {count:,} draws", count, quiet) as advance:
                result = run_scenarios(inst, pol, scenario, draws, fo.SolverOptions(solver=solver),
                                       executor=executor, progress=advance)
        finally:
            executor.close()
        if out is not None:
            result.write(out)
    except FiscalOptError as exc:
        _fail(exc)
    _show_run(_print_scenarios, result.summary, out, quiet)


@app.command("design-formula")
def design_formula(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    factors: Annotated[Optional[str], typer.Option(help="Comma-separated factors: region columns, or ceiling, gap, "
                                                   "difficulty_population, regions.")] = None,
    same_every_year: Annotated[Optional[bool], typer.Option("--same-every-year/--per-year",
                                                            help="One set of weights for all years.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Folder for the formula's result files.")] = None,
    format: Annotated[str, typer.Option("--format", help="Comma-separated: csv,json,md,html,xlsx.")] = "csv,json",
    solver: Annotated[str, typer.Option(help="highs (the default) or a solver Pyomo knows (glpk, cbc, …).")] = "highs",
    set_: SetOption = None,
) -> None:
    """The best factor formula (因素法) under a policy: its weights with their units, its allocation as the usual
    result files, and the price of transparency beside the free optimum and the v1 formula."""
    from .errors import FiscalOptError
    from .report.write import check_output

    try:
        import fiscal_opt as fo
        from .analysis.design import design_formula as design

        formats = check_output(out, _formats(format)) if out is not None else ()
        inst, _, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        names = [f.strip() for f in factors.split(",") if f.strip()] if factors else None
        with _working("Solving the free optimum and the best formula", False):
            found = design(inst, policies[0] if policies else None, names, same_every_year,
                           fo.SolverOptions(solver=solver))
        if out is not None:
            found.result.write(out, formats)
    except FiscalOptError as exc:
        _fail(exc)
    from .report.terminal import print_formula

    print_formula(out_console, found)
    if out is not None:
        out_console.print(f"Results written to [bold]{escape(str(out))}[/]")


def _print_scenarios(summary: dict) -> None:
    """The statuses, how often each rule binds and how often the judged levels are broken."""
    from .report.labels import share

    statuses = ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in summary["status"].items())
    out_console.print(f"{escape(summary['scenario'])}: {summary['draws']:,} draws (seed {summary['seed']}) on "
                      f"{escape(summary['instance'])} under {escape(summary['policy'])}: {statuses}", highlight=False)
    out_console.print("How often each rule binds, in the draws that solved:")
    view = Table(show_edge=False, header_style="bold")
    view.add_column("rule")
    view.add_column("binds in", justify="right")
    for rule, p in summary["rules_binding"].items():
        view.add_row(escape(rule), share(p))
    out_console.print(view)
    if summary["breaks"]:
        out_console.print("How often the judged levels are broken, in all draws (the optimum: in those that solved):")
        view = Table(show_edge=False, header_style="bold")
        for column in ("judged", "level", "formula", "optimum", "infeasible", "out of reach"):
            view.add_column(column, justify="left" if column == "judged" else "right")
        for name, row in summary["breaks"].items():
            view.add_row(escape(name), f"{row['level']:g}", share(row["formula_baseline"]), share(row["optimum"]),
                         share(row["optimum_infeasible"]), share(row["out_of_reach"]))
        out_console.print(view)
        out_console.print("Out of reach: some cell's need is above its fund ceiling (the central share cap), so no "
                          "allocation meets the level there.", highlight=False)


@app.command()
def plan(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    scenarios_file: Annotated[Path, typer.Option("--scenarios", help="Scenario file (YAML): the draws, and under "
                                                 "plan: the risk weight λ and the CVaR level α (docs/scenarios.md).")],
    draws: Annotated[Optional[int], typer.Option(help="Number of draws (default: the scenario file's draws).")]
    = None,
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Folder for plan.csv, draws.csv and summary.json.")] = None,
    method: Annotated[str, typer.Option(help="HiGHS method: choose, simplex or ipm.")] = "choose",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    set_: SetOption = None,
) -> None:
    """A robust plan: one first-year allocation for every draw, later years adapting to each, that
    minimises the expected weighted shortfall plus λ·CVaR_α of it; set beside the mean-forecast plan."""
    from .errors import FiscalOptError

    try:
        import fiscal_opt as fo
        from .analysis.plan import robust_plan
        from .io.scenario import load_scenario

        if out is not None:
            from .report.write import check_out_folder

            check_out_folder(out)
        inst, _, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        scenario = load_scenario(scenarios_file)
        with _working("Solving the plan over every draw", quiet):
            result = robust_plan(inst, policies[0] if policies else None, scenario, draws,
                                 fo.SolverOptions(method=method))
        if out is not None:
            result.write(out)
    except FiscalOptError as exc:
        _fail(exc)
    _show_run(_print_plan, result.summary, out, quiet)


def _show_run(show: Callable[[dict], None], summary: dict, out: Path | None, quiet: bool) -> None:
    """Print a run's ``summary`` with ``show`` and where its files went, unless ``quiet``."""
    if quiet:
        return
    show(summary)
    if out is not None:
        out_console.print(f"Results written to [bold]{escape(str(out))}[/]")


def _print_plan(summary: dict) -> None:
    """The two plans judged over the draws, and the size of the plan's LP."""
    lp = summary["lp"]
    out_console.print(f"{escape(summary['scenario'])}: {summary['draws']:,} draws (seed {summary['seed']}) under "
                      f"{escape(summary['policy'])}; first year {summary['first_year']} shared, λ = "
                      f"{summary['risk_weight']:g}, α = {summary['alpha']:g}", highlight=False)
    view = Table(show_edge=False, header_style="bold", title=f"weighted shortfall ({escape(summary['unit'])})")
    for column in ("plan", "expected", f"CVaR {summary['alpha']:g}", "worst", "rules bend", "infeasible",
                   "min coverage missed"):
        view.add_column(column, justify="left" if column == "plan" else "right")
    for name, key in (("robust", "robust_plan"), ("mean forecast", "mean_forecast_plan")):
        row = summary[key]
        view.add_row(name, _number(row["expected_shortfall"]), _number(row["cvar_shortfall"]),
                     _number(row["worst_shortfall"]), f"{row['draws_bending_rules']:,}",
                     f"{row['draws_infeasible']:,}", f"{row['draws_missing_min_coverage']:,}")
    out_console.print(view)
    out_console.print(f"The plan's LP: {lp['rows']:,} rows × {lp['cols']:,} columns ({lp['nnz']:,} nonzeros), "
                      f"built in {lp['build_seconds']:.2f} s, solved in {lp['solve_seconds']:.2f} s. Expected and "
                      "tail shortfall are over the draws that can be solved; a draw counts as bending when a "
                      "rule must bend for the shared first year.", highlight=False)


@app.command()
def explain(
    instance: Annotated[Path, typer.Argument(help="Instance file (YAML).")],
    region: Annotated[str, typer.Option(help="Region id, name or Chinese name (Guangdong, 广东, 44).")],
    policy: Annotated[Optional[Path], typer.Option(help="Policy file; overrides the instance's own.")] = None,
    solver: Annotated[str, typer.Option(help="highs (the default) or a solver Pyomo knows (glpk, cbc, …).")] = "highs",
    set_: SetOption = None,
) -> None:
    """Why a region gets what it gets: binding rules, its cells, the formula beside it."""
    from .errors import FiscalOptError

    try:
        import fiscal_opt as fo
        from .analysis.explain import explain as explain_region

        inst, _, policies = _load_files(instance, [policy] if policy is not None else [], set_)
        result = fo.solve(inst, policies[0] if policies else None, options=fo.SolverOptions(solver=solver))
        text = explain_region(result, region)
    except FiscalOptError as exc:
        _fail(exc)
    out_console.print(escape(text), highlight=False)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Instance, policy or scenario files.")]) -> None:
    """Check instance, policy and scenario files without solving (exit code 2 if any is bad)."""
    from .errors import InputError
    from .io.any_file import load_any

    bad = False
    for path in files:
        try:
            kind, notes = load_any(path)
        except InputError as exc:
            bad = True
            err_console.print(f"[red]✗[/] {escape(str(path))}: {escape(str(exc))}", highlight=False, soft_wrap=True)
        else:
            out_console.print(f"[green]✓[/] {escape(str(path))}: valid {kind} file", highlight=False)
            _print_notes(notes)
    if bad:
        raise typer.Exit(2)


def _print_notes(notes: tuple[str, ...]) -> None:
    """What the loader accepted but left out, one line each."""
    for note in notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


@app.command()
def generate(
    regions: Annotated[int, typer.Option(min=1, help="Number of regions.")],
    out: Annotated[Path, typer.Option(help="Folder to write the instance into.")],
    years: Annotated[int, typer.Option(min=1, help="Number of years (from 2025).")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed gives the same files.")] = 0,
    services: Annotated[int, typer.Option(min=1, max=4, help="Number of services (1–4).")] = 4,
    places: Annotated[bool, typer.Option(help="Add places on every service, capital and net flows of people "
                                         "(calibrated on the flagship capacity instance).")] = False,
) -> None:
    """Write a synthetic instance calibrated on the 2020 provincial data (at most 300,000 regions × years)."""
    from .errors import InputError, OutputError, Problem
    from .generate.places import with_places
    from .generate.synthetic import generate_instance, write_instance

    try:
        generated = generate_instance(regions, years=years, seed=seed, services=services)
    except ValueError as exc:  # an option out of range
        _fail(InputError(Problem("generate", "", str(exc))))
    if places:
        generated = with_places(generated, seed=seed)
    try:
        path = write_instance(generated, out)
    except OSError as exc:
        _fail(OutputError(str(out), "write the instance", exc))
    out_console.print(f"Wrote {escape(str(path))}")


@app.command()
def new(
    folder: Annotated[Path, typer.Argument(help="New (or empty) folder to write the instance into.")],
    regions_csv: Annotated[Path, typer.Option(help="A CSV of regions: id, population, migrants, fiscal_capacity "
                                              "and any of the optional columns (docs/files.md).")],
    money_unit: Annotated[str, typer.Option(help="Unit of fiscal_capacity and the budget: yuan, 10k_yuan or "
                                            "100m_yuan.")] = "100m_yuan",
) -> None:
    """Write a ready instance and policy from a plain CSV of regions, every column and key explained."""
    from .errors import FiscalOptError
    from .generate.starter import new_instance

    try:
        instance, policy = new_instance(folder, regions_csv, money_unit)
    except OSError as exc:
        from .errors import OutputError

        _fail(OutputError(str(folder), "write the instance", exc))
    except FiscalOptError as exc:
        _fail(exc)
    out_console.print(f"Wrote {escape(str(instance))}, {escape(str(policy))} and the regions CSV beside them; "
                      f"next: fiscal-opt solve {escape(str(instance))}", highlight=False)


@app.command()
def bench(quick: Annotated[bool, typer.Option(help="Only the small cases (under a minute).")] = False,
          out: Annotated[Optional[Path], typer.Option(help="Folder for the JSON and Markdown results "
                                                      "(default: a new folder in benchmarks/runs/)")] = None) -> None:
    """Run the benchmark suite of the source checkout (also ``python -m benchmarks``)."""
    _benchmark_suite().run_suite(quick=quick, out=out)


def _benchmark_suite():  # noqa: ANN202 - the module benchmarks.suite
    """The suite lives in the source repository, not in the wheel: found beside the ``fiscal_opt``
    package of an editable install (``pip install -e .``), else exit 2."""
    import importlib

    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "suite.py").is_file():
        err_console.print("bad input: the benchmark suite lives in the source repository (its benchmarks/ folder), "
                          f"and none lies beside the installed {escape(str(root / 'fiscal_opt'))}; install a checkout with "
                          "`pip install -e .` and run `fiscal-opt bench` (or `python -m benchmarks`) from it",
                          highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("benchmarks.suite")


def _short_help(callback: Callable[..., None]) -> str:
    """A command's line in ``fiscal-opt --help``: the first paragraph of its docstring on one line
    (Typer's list keeps the docstring's line breaks)."""
    return " ".join(inspect.cleandoc(callback.__doc__ or "").split("\n\n")[0].split())


for _command in app.registered_commands:
    _command.short_help = _command.short_help or _short_help(_command.callback)


def main() -> None:
    """Entry point of the ``fiscal-opt`` script."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
