"""Who covers whom: territories, their wholesalers, and the changes that make a wholesaler's skill
separable from its territory's potential (docs/analytics.md, "Wholesaler skill versus territory").

- Each territory has an incumbent wholesaler (wholesaler i <-> territory i at the window start).
- SHARED_SHARE of the territories also have a second wholesaler, hired recently, who covers about half of
  its firms for the whole window.
- SWAP_SHARE of the territories are paired and their incumbents swap territories on a day between 30%
  and 70% of the window (each keeps the other's advisors from then on).
All draws come from a child generator, so the rest of the world (people, firms, events) is drawn exactly as
before this existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHARED_SHARE = 0.25  # territories with a second wholesaler
SWAP_SHARE = 0.5  # territories whose incumbent swaps with another territory's mid-window
NEVER = np.inf


@dataclass
class Coverage:
    ws_terr_start: np.ndarray  # territory each wholesaler covers at the window start
    ws_terr_end: np.ndarray  # ... and at its end (differs for the swapped incumbents)
    ws_switch_frac: np.ndarray  # share of the window after which a swapped incumbent moves (inf: never)
    person_ws_before: np.ndarray  # wholesaler covering each person before their territory's swap
    person_ws_after: np.ndarray  # ... and after it
    person_switch_frac: np.ndarray  # when the person's wholesaler changes, as a share of the window (inf: never)

    @property
    def n_ws(self) -> int:
        return len(self.ws_terr_start)

    def wholesaler_on(self, people: np.ndarray, day: int, days: int) -> np.ndarray:
        """The wholesaler covering each of ``people`` on ``day`` (0-based) of a ``days``-long window."""
        switched = day >= np.floor(self.person_switch_frac[people] * days)
        return np.where(switched, self.person_ws_after[people], self.person_ws_before[people])


def plan_coverage(rng: np.random.Generator, n_terr: int, firm_terr: np.ndarray, person_firm: np.ndarray
                  ) -> tuple[Coverage, int]:
    """Returns the coverage and the number of extra (sharing) wholesalers, numbered n_terr, n_terr + 1, ..."""
    order = rng.permutation(n_terr)
    n_pairs = int(n_terr * SWAP_SHARE) // 2
    pairs = order[: 2 * n_pairs].reshape(-1, 2)
    shared = np.sort(rng.permutation(n_terr)[: round(n_terr * SHARED_SHARE)])
    n_extra = len(shared)
    # incumbents: wholesaler t starts in territory t; swapped pairs exchange territories at frac
    ws_terr_start = np.concatenate([np.arange(n_terr), shared])
    ws_terr_end = ws_terr_start.copy()
    ws_switch_frac = np.full(n_terr + n_extra, NEVER)
    terr_switch_frac = np.full(n_terr, NEVER)
    terr_incumbent_after = np.arange(n_terr)
    for a, b in pairs:
        frac = rng.uniform(0.3, 0.7)
        ws_terr_end[a], ws_terr_end[b] = b, a
        ws_switch_frac[[a, b]] = frac
        terr_switch_frac[[a, b]] = frac
        terr_incumbent_after[a], terr_incumbent_after[b] = b, a
    # a shared territory's firms: about half go to the extra wholesaler
    extra_of_terr = np.full(n_terr, -1)
    extra_of_terr[shared] = n_terr + np.arange(n_extra)
    firm_to_extra = (extra_of_terr[firm_terr] >= 0) & (rng.random(len(firm_terr)) < 0.5)
    terr = firm_terr[person_firm]
    to_extra = firm_to_extra[person_firm]
    before = np.where(to_extra, extra_of_terr[terr], terr)
    after = np.where(to_extra, extra_of_terr[terr], terr_incumbent_after[terr])
    switch = np.where(to_extra, NEVER, terr_switch_frac[terr])
    return Coverage(ws_terr_start=ws_terr_start, ws_terr_end=ws_terr_end, ws_switch_frac=ws_switch_frac,
                    person_ws_before=before, person_ws_after=after, person_switch_frac=switch), n_extra
