"""Fuzzing the loader: mutated instance, CSV and policy files give a validated object or an InputError.

Starting from valid files (demo-4 with its policy beside it, the CSV-based instance of
``tests/good_inputs/``, the shipped policies), random mutations delete, duplicate and swap lines,
replace tokens by random or special text, insert YAML syntax (anchors, aliases, tags, open
brackets), flip bytes and truncate. The regions CSV is also mutated as a table: cells replaced by
hostile values, columns renamed (to structural, invisible-character or look-alike names), dropped
or doubled, rows doubled or swapped, rows of only commas appended; and the keys that name columns
(``driver``, ``local_funding``, ``central_share_cap``, ``basis``) are pointed at other columns.
Whatever comes out, the loader must return an :class:`~fiscal_opt.io.instance.Instance` /
:class:`~fiscal_opt.io.instance.Policy` that keeps the documented checks and from which the model's
arrays derive, or raise :class:`~fiscal_opt.errors.InputError`: never any other exception.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fiscal_opt as fo
from fiscal_opt.errors import InputError
from fiscal_opt.io.values import MAX_NUMBER
from fiscal_opt.model.params import derive

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GOOD = HERE / "good_inputs"

DEMO = (REPO / "instances" / "demo-4.yaml").read_text(encoding="utf-8").replace(
    "policy: ../models/equity-first.yaml", "policy: policy.yaml")
SOURCES = {
    "instance.yaml": DEMO,
    "policy.yaml": (REPO / "models" / "equity-first.yaml").read_text(encoding="utf-8"),
    "csv_instance.yaml": (GOOD / "csv_instance.yaml").read_text(encoding="utf-8"),
    "csv_instance.csv": (GOOD / "csv_instance.csv").read_text(encoding="utf-8"),
}
POLICIES = {p.name: p.read_text(encoding="utf-8") for p in sorted((REPO / "models").glob("*.yaml"))}

SPECIAL = [
    ".inf", "-.inf", ".nan", "nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1" + "0" * 400, "9" * 5000,
    "null", "~", "", "true", "no", "yes", "''", '""', "-1", "0", "-0.0", "1e6", "2.5e-3", "2025", "2030", "0x1F",
    "0o17", "1_000", "12:30:00", "2020-01-01", "[]", "{}", "[1, 2]", "{a: 1}", "&a", "*a", "&a x", "*b",
    "!!python/name:os.system", "!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a}", "!foo",
    "{", "}", "[", "]", "- ", "? ", "<<: *a", "<<: {a: 1}", "|", ">", "'", '"', ":", ": ", "#", "\t", "%YAML 1.1",
    "---", "...", "\x00", "\ufeff", "\r", "\u2028", "=", "é", "北京", "../../etc/passwd", "/dev/zero", "/etc",
    "..", ".", "year", "id", "population", "regions_csv", "policy", "A", "B", ",", ",,", '"a,b"',
]
TOKEN = re.compile(r"[A-Za-z0-9_.+\-]+")
CELLS = ["", " ", "x", "-1", "0", "1e-300", "1e300", "1e400", "inf", "nan", "1,000", "70%", "1_000", "010", "0x10",
         "20:00", "true", "yes", "2025", "2026", "2025.0", "2030", "é", "e\u0301", "A", "A\u200b", " A ", "Ａ", "B",
         "\r", "\n", '"', ",", "=1+1", "\ufeff", "x" * 1000]
COLUMN_NAMES = ["id", "name", "group", "year", "population", "migrants", "fiscal_capacity", "age0_14", "reform_score",
                "central_share_cap", "cost_index", "prior_transfer", "local_education", "population\u200b",
                "ｐopulation", " population ", "", "label", "Population"]
COLUMN_KEYS = re.compile(r"\b(driver|local_funding|central_share_cap|basis): ([A-Za-z0-9_]+)")


@st.composite
def mutations(draw: st.DrawFn, text: str) -> bytes:
    """``text`` with one to four random mutations, as bytes (a byte flip may break UTF-8)."""
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "token", "insert", "truncate", "flip"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "token":
            tokens = list(TOKEN.finditer(text))
            if tokens:
                match = draw(st.sampled_from(tokens))
                new = draw(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=12),
                                     st.integers(-10**30, 10**30).map(str),
                                     st.floats(allow_nan=True, allow_infinity=True).map(repr)))
                text = text[:match.start()] + new + text[match.end():]
                continue
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(SPECIAL)) + lines[i][at:]
        elif kind == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
            continue
        elif kind == "flip":
            raw = bytearray(text.encode("utf-8", errors="surrogateescape"))
            if raw:
                at = draw(st.integers(0, len(raw) - 1))
                raw[at] ^= draw(st.integers(1, 255))
            text = raw.decode("utf-8", errors="surrogateescape")
            continue
        text = "\n".join(lines)
    return text.encode("utf-8", errors="surrogateescape")


@st.composite
def table_mutations(draw: st.DrawFn, text: str) -> bytes:
    """A CSV ``text`` with one to four mutations of its table: cells, column names, columns, rows."""
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "rename", "drop", "double", "row", "commas"]))
        width = len(rows[0])
        j = draw(st.integers(0, width - 1))
        if kind == "cell" and len(rows) > 1:
            i = draw(st.integers(1, len(rows) - 1))
            rows[i][j] = draw(st.one_of(st.sampled_from(CELLS), st.text(max_size=8)))
        elif kind == "rename":
            rows[0][j] = draw(st.sampled_from(COLUMN_NAMES + rows[0]))
        elif kind == "drop" and width > 1:
            rows = [row[:j] + row[j + 1:] for row in rows]
        elif kind == "double":
            rows = [row + [row[j]] for row in rows]
        elif kind == "row" and len(rows) > 1:
            i = draw(st.integers(1, len(rows) - 1))
            rows.insert(draw(st.integers(1, len(rows))), list(rows[i]))
        elif kind == "commas":
            rows += [[""] * width] * draw(st.integers(1, 3))
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def column_keys(draw: st.DrawFn, text: str) -> bytes:
    """An instance ``text`` whose keys that name region columns point at other columns."""
    matches = list(COLUMN_KEYS.finditer(text))
    for match in draw(st.lists(st.sampled_from(matches), min_size=1, max_size=3)):
        column = draw(st.sampled_from(COLUMN_NAMES))
        text = text.replace(match.group(0), f"{match.group(1)}: {column!r}" if column.strip() != column or not column
                            else f"{match.group(1)}: {column}", 1)
    return text.encode("utf-8")


def check_instance(inst: fo.Instance) -> None:
    """What a loaded instance promises: the checks of INSTANCE.md and docs/files.md hold, and the
    model's arrays derive from it, finite."""
    regions = inst.regions
    assert len(regions) == len(inst.region_ids) * len(inst.years) > 0
    assert not regions.duplicated(["id", "year"]).any()
    names = {unicodedata.normalize("NFKC", i) for i in inst.region_ids}
    assert len(names) == len(inst.region_ids) and all(i == i.strip() and i for i in inst.region_ids)
    assert (regions["population"] >= 1).all()
    used = {"population", "migrants", "fiscal_capacity", "reform_score", "central_share_cap", "cost_index",
            "prior_transfer"} | {s.driver for s in inst.services.values()}
    for column in regions.columns:
        if regions[column].dtype.kind == "f":
            values = regions[column].to_numpy()
            values = values[~np.isnan(values)]
            assert np.isfinite(values).all() and (values >= 0).all(), column
            assert column not in used or (values <= MAX_NUMBER).all(), column
    for name, service in inst.services.items():
        if isinstance(service.central_share_cap, str):
            caps = regions[service.central_share_cap].to_numpy()
            assert ((caps > 0) & (caps <= 1)).all(), name
    for array in (inst.special_fund, inst.incentive_pool):
        if array is not None:
            assert np.isfinite(array).all() and (array >= 0).all()
    params = derive(inst, inst.policy or fo.Policy())
    for array in (params.standard_cost, params.gap, params.ceiling, params.priority, params.weight):
        assert np.isfinite(array).all()


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, dict[str, bytes]]:
    """Which instance to load, and the files of the folder with one or two of them mutated."""
    entry = draw(st.sampled_from(["instance.yaml", "csv_instance.yaml"]))
    files = {name: text.encode("utf-8") for name, text in SOURCES.items()}
    companions = ["instance.yaml", "policy.yaml"] if entry == "instance.yaml" else ["csv_instance.yaml",
                                                                                    "csv_instance.csv"]
    for name in draw(st.lists(st.sampled_from(companions), min_size=1, max_size=2, unique=True)):
        if name.endswith(".csv"):
            files[name] = draw(st.one_of(mutations(SOURCES[name]), table_mutations(SOURCES[name])))
        elif COLUMN_KEYS.search(SOURCES[name]):
            files[name] = draw(st.one_of(mutations(SOURCES[name]), column_keys(SOURCES[name])))
        else:
            files[name] = draw(mutations(SOURCES[name]))
    return entry, files


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_files())
def test_mutated_instances_load_or_raise_input_error(case: tuple[str, dict[str, bytes]], tmp_path_factory):
    entry, files = case
    folder = tmp_path_factory.mktemp("fuzz")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    try:
        inst = fo.load_instance(folder / entry)
    except InputError as exc:
        assert exc.problems and all(isinstance(p.message, str) and p.message for p in exc.problems)
        return
    check_instance(inst)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(POLICIES)), data=st.data())
def test_mutated_policies_load_or_raise_input_error(name: str, data: st.DataObject, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data.draw(mutations(POLICIES[name])))
    try:
        policy = fo.load_policy(path)
    except InputError as exc:
        assert exc.problems
        return
    assert isinstance(policy, fo.Policy)
