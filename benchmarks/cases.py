"""The case registry: instances swept over size, each under the two benchmark policies.

Sizes: the 31 provinces (instances/china-2020-provinces.yaml, 6 years) and generated instances of
330 (prefectures), 2,850 (counties), 10,000 and 40,000 (townships) regions with 4 services over 1
and 5 years (:func:`fiscal_opt.generate.synthetic.generate_instance`, seed 0). Policies
(benchmarks/policies/): ``rules`` — weighted shortfall with min_coverage 0.5, per_capita_floor 0.6
and hold_harmless max_cut 0.1, the rules every generated instance is built to meet (the provinces
use min_coverage 0.3: their central share caps hold some cells below 0.5) — and ``maxmin`` —
max_min_coverage (three LP stages with the tie-break) — and, at 2,850 and 10,000 regions, ``bands``
— the rules policy with coverage valued in three bands (model v2's ``coverage_value``: a shortfall
column per band). ``r2850-y5-places`` is the county case under ``bands`` with places on every
service, capital, conversions and net flows of people (MODEL-v2 §11–12,
:func:`fiscal_opt.generate.places.with_places`).

Besides single solves (``kind`` ``solve``): ``sweep`` cases time a 20-point budget sweep (100 % to
138 % of the instance's own budget) warm against cold, and ``draws`` cases time Monte Carlo draws of
benchmarks/scenarios/migration.yaml on 1 and on 2 worker processes (policy ``draws``: min_coverage
and per_capita_floor, without hold-harmless, which a draw of fewer migrants makes infeasible).

``quick`` cases make up ``--quick`` (CI's smoke run, well under a minute); ``optional`` cases run
only when named with ``--cases`` (40,000 regions × 5 years).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).resolve().parent / "policies"
SCENARIO = Path(__file__).resolve().parent / "scenarios" / "migration.yaml"
PROVINCES = ROOT / "instances" / "china-2020-provinces.yaml"
SERVICES = 4
SEED = 0


@dataclass(frozen=True)
class Case:
    """One benchmark case: an instance (provinces, or ``regions`` × ``years`` generated) and a policy."""

    name: str
    policy: str                 # "rules", "maxmin" or "bands"
    regions: int | None = None  # None: the provinces instance
    years: int = 1
    services: int = SERVICES
    quick: bool = False
    optional: bool = False
    kind: str = "solve"          # "solve", "sweep" (warm against cold) or "draws" (1 against 2 workers)
    count: int = 0               # sweep points or draws
    places: bool = False         # places on every service and flows of people (fiscal_opt.generate.places)

    @property
    def policy_file(self) -> Path:
        """The policy file (the provinces take their own variant of ``rules``)."""
        stem = "rules-provinces" if self.regions is None and self.policy == "rules" else self.policy
        return POLICIES / f"{stem}.yaml"

    @property
    def size(self) -> str:
        """``31 provinces × 4 × 6`` style description."""
        size = "provinces" if self.regions is None else f"{self.regions:,} × {self.services} × {self.years}"
        return size + (" with places" if self.places else "")


def _registry() -> dict[str, Case]:
    cases = [Case(f"provinces-{pol}", pol, quick=True) for pol in ("rules", "maxmin")]
    for regions, years in ((330, 1), (330, 5), (2850, 1), (2850, 5), (10000, 1), (10000, 5), (40000, 1),
                           (40000, 5)):
        for pol in ("rules", "maxmin"):
            cases.append(Case(f"r{regions}-y{years}-{pol}", pol, regions, years,
                              quick=(regions, years) == (330, 1), optional=regions == 40000 and years == 5))
        if regions in (2850, 10000):
            cases.append(Case(f"r{regions}-y{years}-bands", "bands", regions, years))
    cases.append(Case("r2850-y5-places", "bands", 2850, 5, places=True))
    cases += [Case("sweep-r330-y1", "rules", 330, 1, quick=True, kind="sweep", count=20),
              Case("sweep-r2850-y5", "rules", 2850, 5, kind="sweep", count=20),
              Case("draws-r330-y1", "draws", 330, 1, quick=True, kind="draws", count=20),
              Case("draws-r330-y5", "draws", 330, 5, kind="draws", count=200)]
    return {c.name: c for c in cases}


CASES = _registry()
"""Every case by name, smallest first."""


def select(quick: bool = False, names: list[str] | None = None) -> list[Case]:
    """The cases to run: those named (any, optional ones included), else the quick ones, else all
    but the optional ones. Unknown names raise ``KeyError`` listing the known ones."""
    if names:
        unknown = [n for n in names if n not in CASES]
        if unknown:
            raise KeyError(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
        return [CASES[n] for n in names]
    return [c for c in CASES.values() if (c.quick if quick else not c.optional)]
