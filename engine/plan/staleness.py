"""Whether a saved plan still holds: judged per change, against a plan of the same flow made now.

A saved plan is stale only where applying it would now do something other than what it shows.
`apply --plan` plans each flow again just before applying it, after the flows before it in the same
plan were applied (a products flow creates what the stock flow then targets), and keeps the saved
plan only where, record by record, the new plan reaches what the saved one shows:

- a change holds when the plan made now has the same action and reaches the same values for the
  flow's fields (an update of a field someone changed since, to the same value, still holds);
- a create also holds as an update, or as a record the target already holds, when an earlier flow of
  the same plan wrote to that target in this apply: the products flow made the stock levels the
  stock flow planned to create. Apply then makes the change planned now, which fits the target as
  it is, where it reaches every value the create gives (a field the create leaves empty is the
  target's to fill). Without such a flow before it, a create that meets a record made by hand is stale;
- what the saved plan leaves alone (unchanged, skip) is left alone, whatever the plan made now says;
  a record it shows as already there holds when the state has since recorded it (an interrupted
  run's write, found done when this apply took the flow's lock).

A write that would now change nothing because the same changes were applied already is stale too:
a saved plan is applied once.
"""

from __future__ import annotations

from dataclasses import replace

from engine.errors import TillsyncError
from engine.plan.model import Action, Change, FlowPlan

SHOWN_AT_MOST = 10


class StalePlanError(TillsyncError):
    """A saved plan no longer describes what apply would do."""


def to_apply(saved: FlowPlan, fresh: FlowPlan, after_upstream: bool = False) -> FlowPlan:
    """The changes to make for `saved`, as planned now (`fresh`); `StalePlanError` names the records
    where the saved plan no longer holds. `after_upstream`: an earlier flow of the same plan wrote to
    this flow's target in this apply."""
    now = {change.key: change for change in fresh.changes}
    kept: list[Change] = []
    stale: list[str] = []
    for change in saved.changes:
        if change.action in (Action.unchanged, Action.skip, Action.blocked):
            continue
        current = now.get(change.key)
        if current is not None and _holds(change, current, after_upstream):
            kept.append(current)
        else:
            shown = "do nothing" if current is None or current.action is Action.unchanged else current.action.value
            if current is not None and current.action is change.action:
                shown += " with other values"  # not "shows update, now it would update"
            stale.append(f"{'/'.join(change.key)}: the plan shows {change.action.value}, now it would {shown}")
    if stale:
        more = f"; and {len(stale) - SHOWN_AT_MOST} more" if len(stale) > SHOWN_AT_MOST else ""
        raise StalePlanError(
            f"{saved.label}: the plan no longer holds for {len(stale)} record{'s' * (len(stale) != 1)} "
            f"({'; '.join(stale[:SHOWN_AT_MOST])}{more}); plan again"
        )
    unchanged = {c.key for c in saved.changes if c.action is Action.unchanged}
    return replace(
        saved,
        changes=tuple(kept),
        fingerprints=tuple(f for f in fresh.fingerprints if f.key in unchanged),
    )


def _holds(saved: Change, current: Change, after_upstream: bool) -> bool:
    if saved.action is Action.record and current.action is Action.unchanged:
        return True  # recorded since (an interrupted run's write, settled before this apply): nothing to write
    if current.action is saved.action:
        return current.applied == saved.applied
    if not (after_upstream and saved.action is Action.create and current.action in (Action.update, Action.record)):
        return False
    # a field the create leaves empty is the target's to fill (Shopify tracks the stock levels it makes)
    made = current.applied or {}
    return all(made.get(name) == value for name, value in (saved.applied or {}).items() if value is not None)
