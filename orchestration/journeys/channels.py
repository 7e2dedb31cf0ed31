"""Channel of choice: the channel a journey message goes out on.

Among the channels the action may use (its content's ``channels``, in the journey's order) and that the
customer can be reached on (consent from the one consent model and a contact point:
``marts.dim_customer_channels.is_usable``):
1. the customer's STATED preference (CRM contact preference), when it is one of them;
2. else the channel they respond to best, LEARNED from their response history (a response rate
   smoothed towards the population's: clicks per email, positive outcomes per wholesaler call), when
   it beats every other channel they have history on by more than LEARNED_MARGIN (a channel never
   tried has no rate and does not compete);
3. else the journey's first channel.
When none is usable the journey's first channel is returned with source ``none_usable``: the decision
ledger then blocks the step and says why (no_consent, no_contact_point), instead of it vanishing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Two learned rates closer than this are a tie (the journey's order decides): noise in a handful of
# sends should not flip a customer's channel.
LEARNED_MARGIN = 0.01


@dataclass(frozen=True)
class ChannelOption:
    channel: str
    is_usable: bool
    is_stated: bool = False
    response_rate: float | None = None  # smoothed; None when the channel has no response history at all


def choose_channel(allowed: Sequence[str], options: Mapping[str, ChannelOption]) -> tuple[str, str]:
    """``(channel, source)``; source is stated, learned, journey_order or none_usable."""
    if not allowed:
        raise ValueError("an action needs at least one channel")
    usable = [c for c in allowed if (o := options.get(c)) is not None and o.is_usable]
    if not usable:
        return allowed[0], "none_usable"
    stated = [c for c in usable if options[c].is_stated]
    if stated:
        return stated[0], "stated"
    rates = {c: r for c in usable if (r := options[c].response_rate) is not None}
    if rates:
        best = max(rates, key=lambda c: (rates[c], -usable.index(c)))
        runner_up = max((r for c, r in rates.items() if c != best), default=None)
        if runner_up is None or rates[best] - runner_up > LEARNED_MARGIN:
            return best, "learned"
    return usable[0], "journey_order"
