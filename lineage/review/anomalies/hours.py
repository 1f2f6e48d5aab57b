"""anomaly.unusual_hour: access at an hour of the day this actor is not active at.

The profile counts hour-slots (an hour of one day with any access by the actor, any kind), so a
burst at ten does not outweigh ten quiet days. An hour is unusual when the slots within
`neighbour_hours` of it are a smoothed share of at most `max_share` of all slots:
(slots near the hour + 1) / (all slots + 24). The smoothing keeps a thin history from judging.
Times are the producer's eventTime in UTC: a producer with a wrong clock shifts the profile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lineage.findings.draft import FindingDraft
from lineage.review.anomalies.inputs import Inputs, actor_subject, anomaly, counted

RULE = "anomaly.unusual_hour"
USUAL_COVERAGE = 0.9


@dataclass(frozen=True)
class OddHour:
    hour: int
    accesses: int
    slots_near: int
    share: float


def detect_unusual_hour(inputs: Inputs) -> list[FindingDraft]:
    s = inputs.settings.unusual_hour
    found = []
    for actor in inputs.window.actors():
        if len(inputs.history_days(actor)) < s.min_history_days:
            continue
        slots = hour_slots(inputs.history.hourly(actor))
        odd: dict[str, list[OddHour]] = defaultdict(list)
        for bucket, n in sorted(inputs.window.hourly(actor).items()):
            hour = int(bucket[11:13])
            near = slots_near(slots, hour, s.neighbour_hours)
            share = (near + 1) / (sum(slots) + 24)
            if n >= s.min_accesses and share <= s.max_share:
                odd[bucket[:10]].append(OddHour(hour, n, near, round(share, 4)))
        found.extend(_finding(inputs, actor, day, hours, slots) for day, hours in odd.items())
    return found


def hour_slots(hourly: dict[str, int]) -> list[int]:
    """Per hour of day, on how many days the actor was active in it."""
    slots = [0] * 24
    for bucket in hourly:
        slots[int(bucket[11:13])] += 1
    return slots


def slots_near(slots: list[int], hour: int, width: int) -> int:
    """Slots within `width` hours of `hour`, around midnight too."""
    return sum(slots[(hour + d) % 24] for d in range(-width, width + 1))


def usual_hours(slots: list[int]) -> list[int]:
    """The fewest hours holding at least 90% of the actor's hour-slots."""
    total, covered, chosen = sum(slots), 0, []
    for hour in sorted(range(24), key=lambda h: (-slots[h], h)):
        if total == 0 or covered >= USUAL_COVERAGE * total:
            break
        chosen.append(hour)
        covered += slots[hour]
    return sorted(chosen)


def hour_ranges(hours: list[int]) -> str:
    """[8, 9, 10, 14] -> "08-10, 14" (UTC hours)."""
    runs: list[list[int]] = []
    for hour in hours:
        if runs and hour == runs[-1][-1] + 1:
            runs[-1].append(hour)
        else:
            runs.append([hour])
    return ", ".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}-{r[-1]:02d}" for r in runs)


def _finding(
    inputs: Inputs, actor: str, day: str, odd: list[OddHour], slots: list[int]
) -> FindingDraft:
    s, total = inputs.settings.unusual_hour, sum(slots)
    days = len(inputs.history_days(actor))
    accesses = sum(o.accesses for o in odd)
    observed = "; ".join(
        f"{o.accesses} at {o.hour:02d}:00-{o.hour:02d}:59 ({o.slots_near} usual slots within "
        f"{s.neighbour_hours} h, share {o.share:.1%})"
        for o in odd
    )
    usual = hour_ranges(usual_hours(slots))
    explanation = (
        f"{counted(accesses, 'access')} on {day} at hours this actor is not active at (UTC, "
        f"producer eventTime): {observed}. Baseline: in the {days} days before "
        f"{inputs.period.base_until[:10]} the actor was active in {total} hour-slots, usually "
        f"at {usual} UTC; an hour is unusual at a smoothed share of at most {s.max_share:.1%}."
    )
    return anomaly(
        RULE,
        "low",
        actor_subject(actor),
        f"Access at unusual hours on {day} ({', '.join(f'{o.hour:02d}h' for o in odd)} UTC)",
        explanation,
        {
            "actor": actor,
            "day": day,
            "observed": [o.__dict__ for o in odd],
            "baseline": {"hour_slots": slots, "total_slots": total, "usual_hours": usual},
            "max_share": s.max_share,
        },
        occurred_at=inputs.window.first_in(actor, f"{day}T{odd[0].hour:02d}"),
        dedupe=day,
    )
