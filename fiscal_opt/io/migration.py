"""Flows of people between regions (MODEL-v2 §12): the instance's migration table, read and checked
like a regions CSV (file, line, key path ``row N.column``), and what the flows do to each region's
counts of persons, year by year.

Two forms, one meaning. ``migration_csv`` is an origin–destination table (``origin``,
``destination``, ``year``, ``persons``); ``net_csv`` gives net flows per region (``region``, ``year``,
``persons``, negative for a net outflow), read as flows from or to outside the instance. Either may
carry a column per person count that moves with the people (a service's driver such as ``age0_14``,
or the incentive basis): how many of the persons are counted in it. Without such a column the
movers are like the average resident of the region they leave (outside the instance: like the
average resident of all regions).

A flow of year t arrives in year t's residents: P_rt = P_rt(data) + Σ_{τ ≤ t} (inflows − outflows)_τ.
An inflow adds to the destination's ``migrants``; an outflow takes the origin's migrants in
proportion to their share of its residents. The first year's residents are the data, so flows are
for the later years.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .csvfile import read_csv
from .regions import RegionTable, number
from .yamlfile import clip, shown

OUTSIDE = -1
"""The region index of a net flow's other end: outside the instance."""
OD_COLUMNS = ("origin", "destination", "year", "persons")
NET_COLUMNS = ("region", "year", "persons")
FIXED = ("population", "migrants")
"""Counts that move by rule, never by a column of the table: every mover is a resident, and an
arriving one a migrant."""


@dataclass(frozen=True, eq=False)
class Migration:
    """The flows of an instance: flow k moves ``persons[k]`` from region ``origin[k]`` to region
    ``destination[k]`` (indices in the instance's region order; :data:`OUTSIDE` for the other end of
    a net flow) arriving in the year of index ``year[k]`` (≥ 1). ``counts`` holds the flows' own
    columns (a driver or the incentive basis: how many of the persons it counts). ``source`` is the
    table as messages name it, ``kind`` ``od`` or ``net``, ``lines`` each flow's line in it."""

    kind: str
    source: str
    origin: np.ndarray
    destination: np.ndarray
    year: np.ndarray
    persons: np.ndarray
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def evolve(values: dict[str, np.ndarray], migration: Migration) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The person counts ``values`` (column → (R, T), persons; ``population`` and ``migrants``
    among them) after the flows, and each flow's origin population the year before it arrives
    (:data:`OUTSIDE` origins: infinite). Pure numpy; years in order, since movers take the shares of
    the year before."""
    out = {name: np.array(value, dtype=float) for name, value in values.items()}
    population = out["population"]
    change = {name: np.zeros(value.shape[0]) for name, value in out.items()}
    before = np.full(len(migration.persons), np.inf)
    R, T = population.shape
    for t in range(1, T):
        for name in out:
            out[name][:, t] += change[name]
        k = np.flatnonzero(migration.year == t)
        if k.size == 0:
            continue
        o, d, n = migration.origin[k], migration.destination[k], migration.persons[k]
        inside_o, inside_d = o != OUTSIDE, d != OUTSIDE
        before[k[inside_o]] = population[o[inside_o], t - 1]
        for name, value in out.items():
            previous = value[:, t - 1]
            share = np.where(inside_o, previous[np.where(inside_o, o, 0)] / population[np.where(inside_o, o, 0),
                                                                                          t - 1],
                             previous.sum() / population[:, t - 1].sum())
            if name == "population":
                moved = n
            elif name in migration.counts:
                moved = migration.counts[name][k]
            else:
                moved = n * share
            arriving = n if name == "migrants" else moved
            delta = np.zeros(R)
            np.add.at(delta, d[inside_d], arriving[inside_d])
            np.subtract.at(delta, o[inside_o], moved[inside_o])
            change[name] += delta
            value[:, t] += delta
    return out, before


def net_flow(migration: Migration, R: int, T: int) -> np.ndarray:
    """Persons arriving less persons leaving, per region and year (R, T)."""
    net = np.zeros((R, T))
    inside_d, inside_o = migration.destination != OUTSIDE, migration.origin != OUTSIDE
    np.add.at(net, (migration.destination[inside_d], migration.year[inside_d]), migration.persons[inside_d])
    np.subtract.at(net, (migration.origin[inside_o], migration.year[inside_o]), migration.persons[inside_o])
    return net


def read_migration(path: Path, shown_as: str, kind: str, region_ids: list[str], years: tuple[int, ...],
                   movable: list[str], digest: Any) -> Migration:
    """Read and check the flows table at ``path`` (named ``shown_as`` in messages; ``kind`` ``od`` or
    ``net``); ``movable`` are the person counts a flow may carry as a column of its own. Raises
    :class:`InputError` with every problem (file, line, ``row N.column``)."""
    ends = ("origin", "destination") if kind == "od" else ("region",)
    fixed = OD_COLUMNS if kind == "od" else NET_COLUMNS
    csv = read_csv(path, shown_as, ends, (*fixed, *movable), digest)
    table = RegionTable(pd.DataFrame(csv.columns), shown_as, csv.lines, np.arange(1, len(csv.lines) + 1), "row {}",
                        header_line=csv.header_line, bad=csv.bad)
    header = list(csv.columns)
    problems = [Problem(shown_as, "", f"no column `{name}`: a {'migration' if kind == 'od' else 'net flow'} table "
                        f"has the columns {', '.join(fixed)}", csv.header_line) for name in fixed if name not in header]
    for name in header:
        if name not in fixed and name not in movable:
            allowed = ", ".join(movable) or "none: no service's driver or incentive basis moves by a column of its own"
            why = " (movers are residents, and arriving ones migrants, by rule)" if name in FIXED else ""
            problems.append(Problem(shown_as, "", f"column {header.index(name) + 1} `{clip(name)}` is not a column a "
                                    f"flow may carry{why}; the counts of persons that may move by a column of "
                                    f"their own: {allowed}", csv.header_line))
    if problems:
        raise InputError(problems)
    if not len(csv.lines):
        raise InputError(Problem(shown_as, "", "the table has no flows; leave `migration` out of the instance "
                                 "instead", csv.header_line))
    frame = table.frame
    for name in (*fixed, *[c for c in header if c in movable]):
        if name in ends:
            continue
        cells = table.bad.get(name, {})
        problems += table.flag(np.array(sorted(cells), dtype=np.int64), name,
                               lambda i, c=cells: f"not a number: {shown(c[i])}")
        values = frame[name].to_numpy(dtype=float)
        problems += table.flag(np.flatnonzero(np.isnan(values) & ~np.isin(np.arange(len(values)), list(cells))),
                               name, lambda i: "missing value")
    if problems:
        raise InputError(problems)
    index = {rid: i for i, rid in enumerate(region_ids)}

    def region_of(name: str) -> np.ndarray:
        ids = frame[name].to_numpy(dtype=object)
        found = np.array([index.get(rid, -2) for rid in ids], dtype=np.int64)
        unknown = np.flatnonzero(found == -2)
        problems.extend(table.flag(unknown, name, lambda i: (
            f"{'missing region id' if ids[i] == '' else 'no region ' + shown(ids[i]) + ' in the instance'}"
            f"{_close(ids[i], region_ids)}")))
        return found

    year = frame["year"].to_numpy(dtype=float)
    persons = frame["persons"].to_numpy(dtype=float)
    if kind == "od":
        origin, destination = region_of("origin"), region_of("destination")
        problems += table.flag(np.flatnonzero((origin == destination) & (origin >= 0)), "destination",
                               lambda i: f"a flow from region {shown(frame['origin'].iloc[i])} to itself")
        problems += table.flag(np.flatnonzero(persons < 0), "persons", lambda i: (
            f"must not be negative (got {number(persons[i])}); write a flow the other way round as a row of its own"))
    else:
        region = region_of("region")
        origin = np.where(persons < 0, region, OUTSIDE)
        destination = np.where(persons < 0, OUTSIDE, region)
    known_year = np.isin(year, years)
    problems += table.flag(np.flatnonzero(~known_year | (year != np.round(year))), "year",
                           lambda i: f"year {number(year[i])} is not in the instance's years {list(years)}")
    problems += table.flag(np.flatnonzero(year == years[0]), "year", lambda i: (
        f"a flow in {years[0]}, the first year, whose residents are the instance's data; flows change the "
        f"residents of the years after it ({', '.join(map(str, years[1:])) or 'none here'})"))
    size = np.abs(persons)
    counts: dict[str, np.ndarray] = {}
    for name in (c for c in header if c in movable):
        value = frame[name].to_numpy(dtype=float)
        counts[name] = np.abs(value)
        problems += table.flag(np.flatnonzero(value < 0) if kind == "od" else
                               np.flatnonzero(np.sign(value) * np.sign(persons) < 0), name, lambda i, v=value: (
            f"must not be negative (got {number(v[i])})" if kind == "od" else
            f"has the opposite sign of persons ({number(v[i])} against {number(persons[i])})"))
        problems += table.flag(np.flatnonzero(np.abs(value) > size), name, lambda i, v=value: (
            f"{number(v[i])} of the {number(persons[i])} persons moving: more than all of them"))
    if problems:
        raise InputError(problems)
    key_columns = ["origin", "destination", "year"] if kind == "od" else ["region", "year"]
    duplicate = frame.duplicated(key_columns, keep="first").to_numpy()
    if duplicate.any():
        firsts = frame.reset_index().groupby(key_columns, sort=False)["index"].transform("first").to_numpy()
        raise InputError(table.flag(np.flatnonzero(duplicate), "year", lambda i: (
            f"a second row for the same {'flow' if kind == 'od' else 'region'} and year (first at row "
            f"{int(firsts[i]) + 1}); give one row each")))
    return Migration(kind=kind, source=shown_as, origin=origin, destination=destination,
                     year=np.searchsorted(np.array(years), year.astype(np.int64)), persons=size, counts=counts,
                     lines=csv.lines)


def _close(written: str, region_ids: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(written), region_ids, n=1, cutoff=0.6)
    return f"; did you mean {shown(close[0])}?" if close else ""


def population_problems(migration: Migration, region_ids: list[str], years: tuple[int, ...],
                        column: Callable[[str], np.ndarray], names: list[str]) -> list[Problem]:
    """What the flows would do that cannot be: a flow larger than its origin's population the year
    before, a region left with no residents, or with fewer persons in a count than none. ``column``
    gives the data of a person count (R, T); ``names`` are the counts that move."""
    values = {name: column(name) for name in dict.fromkeys(["population", "migrants", *names])}
    after, before = evolve(values, migration)
    problems = []
    file = migration.source
    persons_column = "persons"
    too_many = np.flatnonzero(migration.persons > before)
    for k in too_many[:50]:
        where = migration.origin[k] if migration.origin[k] != OUTSIDE else migration.destination[k]
        problems.append(Problem(file, f"row {k + 1}.{persons_column}", (
            f"{number(migration.persons[k])} persons leave region {shown(region_ids[where])} in "
            f"{years[migration.year[k]]}, more than its {number(before[k])} residents of {years[migration.year[k] - 1]}"),
            int(migration.lines[k]) or None))
    if problems:
        return problems
    for name, value in after.items():
        low = np.argwhere(value < (1.0 if name == "population" else 0.0) - 1e-6)
        for r, t in low[:50]:
            what = "no residents left" if name == "population" else f"{number(value[r, t])} persons counted in `{name}`"
            problems.append(Problem(file, "", f"after the flows up to {years[t]}, region {shown(region_ids[r])} has "
                                    f"{what} (data {number(values[name][r, t])}); the flows take more people than "
                                    "the region has"))
        if name != "population":
            over = np.argwhere(value > after["population"] * (1 + 1e-9) + 1e-6)
            for r, t in over[:50]:
                problems.append(Problem(file, "", f"after the flows up to {years[t]}, region {shown(region_ids[r])} "
                                        f"counts {number(value[r, t])} persons in `{name}`, more than its "
                                        f"{number(after['population'][r, t])} residents"))
    return problems
