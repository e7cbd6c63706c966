"""The variables of places (MODEL-v2 §11) and the rows that define their stock, for the rules that
use them (:mod:`fiscal_opt.rules.capacity`, ``recurrent``, ``capital``, ``capital_share``,
``capital_fund``, ``conversion``).

Columns, LP units (persons / ``Scale.population``, money / ``Scale.money``):

- ``places[r,s,t]`` K ≥ 0, for every region, service with places and year;
- ``places_started[r,s,t]`` n ≥ 0, in the years where a place started would serve within the
  horizon (t + ℓ_s < T);
- ``places_converted[r,s,s',t]`` v ≥ 0, for every conversion the instance allows, by the year it starts;
- ``capital_grant[r,t]`` g ≥ 0, when the instance has a capital fund.

Rows ``places_balance[r,s,t]`` (rule ``capacity``): K_t − (1−δ)·K_{t−1} − n_{t−ℓ} − Σ_in v_{t−ℓ'} +
Σ_out v_t = (1−δ)·K⁰ in the first year, 0 after (:mod:`fiscal_opt.model.capacity`). No I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .build import Formulation


def _labels(*columns: np.ndarray) -> list[tuple]:
    return list(zip(*(c.tolist() for c in columns)))


class Places:
    """Column lookups of the places' variables: ``K`` and ``n`` (R, S, T), ``v`` (R, J, T) and ``g``
    (R, T) hold the column of each (−1 where there is none)."""

    def __init__(self, f: Formulation):
        p, lp = f.params, f.lp
        cp = p.capacity
        assert cp is not None, "places exist only in an instance with a service that has capacity"
        self.f = f
        R, S, T = p.shape
        ids, svcs, yrs = p.region_ids, np.array(p.services, dtype=object), np.array(p.years)
        self.per_person = f.scale.population / f.scale.money
        """LP money per LP person at a cost of 1 money_unit per person."""
        self.K = np.full((R, S, T), -1, dtype=np.int64)
        r, s, t = np.nonzero(np.broadcast_to(cp.mask[None, :, None], (R, S, T)))
        self.K[r, s, t] = lp.add_vars("places", _labels(ids[r], svcs[s], yrs[t]), 0.0, np.inf, unit="persons")
        self.n = np.full((R, S, T), -1, dtype=np.int64)
        r, s, t = np.nonzero(np.broadcast_to(cp.can_start()[None, :, :], (R, S, T)))
        self.n[r, s, t] = lp.add_vars("places_started", _labels(ids[r], svcs[s], yrs[t]), 0.0, np.inf,
                                      unit="persons")
        J = len(cp.conv_from)
        self.v = np.full((R, J, T), -1, dtype=np.int64)
        r, j, t = np.nonzero(np.ones((R, J, T), dtype=bool))
        self.v[r, j, t] = lp.add_vars("places_converted", _labels(ids[r], svcs[cp.conv_from[j]], svcs[cp.conv_to[j]],
                                                                   yrs[t]), 0.0, np.inf, unit="persons")
        self.g = None
        if cp.fund is not None:
            rt_keys, rt_r, rt_t, rt_labels = f.region_year
            self.g = np.full((R, T), -1, dtype=np.int64)
            self.g[rt_r, rt_t] = lp.add_vars("capital_grant", rt_labels, 0.0, np.inf)
        self._balance()

    def _balance(self) -> None:
        """The rows ``places_balance[r,s,t]`` that define K from K⁰, n and v."""
        f, cp = self.f, self.f.params.capacity
        R, S, T = self.K.shape
        r, s, t = np.nonzero(self.K >= 0)
        row = np.full((R, S, T), -1, dtype=np.int64)
        row[r, s, t] = np.arange(r.size)
        rows, cols, vals = [row[r, s, t]], [self.K[r, s, t]], [np.ones(r.size)]
        later = t > 0
        rows.append(row[r, s, t][later])
        cols.append(self.K[r[later], s[later], t[later] - 1])
        vals.append(-(1 - cp.depreciation[s[later]]))
        ns = np.nonzero(self.n >= 0)
        arrive = ns[2] + cp.lead[ns[1]]
        rows.append(row[ns[0], ns[1], arrive])
        cols.append(self.n[ns])
        vals.append(-np.ones(arrive.size))
        vr, vj, vt = np.nonzero(self.v >= 0)
        rows.append(row[vr, cp.conv_from[vj], vt])
        cols.append(self.v[vr, vj, vt])
        vals.append(np.ones(vr.size))
        lands = vt + cp.conv_lead[vj]
        inside = lands < T
        rows.append(row[vr[inside], cp.conv_to[vj[inside]], lands[inside]])
        cols.append(self.v[vr, vj, vt][inside])
        vals.append(-np.ones(int(inside.sum())))
        start = np.where(t == 0, (1 - cp.depreciation[s]) * cp.start[r, s] / f.scale.population, 0.0)
        p = f.params
        f.lp.add_rows("places_balance", _labels(p.region_ids[r], np.array(p.services, dtype=object)[s],
                                                np.array(p.years)[t]),
                      np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), lower=start, upper=start,
                      rule="capacity", region=r, year=t, unit="persons")

    def capital_terms(self, share: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys r·T + t, columns, LP money) of each region-year's capital cost Σ_s cost·n + Σ conversion
        cost·v; with ``share`` each term times the central share cap θ of the service it is for."""
        cp = self.f.params.capacity
        T = self.K.shape[2]
        nr, ns, nt = np.nonzero(self.n >= 0)
        vr, vj, vt = np.nonzero(self.v >= 0)
        build = cp.build[nr, ns, nt]
        convert = cp.conv_cost[vr, vj, vt]
        if share:
            build = build * cp.share_cap[nr, ns, nt]
            convert = convert * cp.share_cap[vr, cp.conv_to[vj], vt]
        keys = np.concatenate([nr * T + nt, vr * T + vt])
        cols = np.concatenate([self.n[nr, ns, nt], self.v[vr, vj, vt]])
        vals = np.concatenate([build, convert]) * self.per_person
        keep = vals != 0
        return keys[keep], cols[keep], vals[keep]
