"""The outcomes of many runs: how they ended, and how long they took to reach a state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.core.errors import DipsimError
from simulator.engine.outcomes import Outcomes, RelationOutcomes
from simulator.plots.style import new_figure, percent_axis, state_colours, styled, title_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def outcomes_figure(
    outcomes: Outcomes, relation: str | None = None, state: str | None = None
) -> Figure:
    """How many runs ended in each state, and how long they took to reach one of them.

    Left: the share of runs ending in each state (the machine's order), with its 95% Wilson
    interval as an error bar. Right: the share of runs that had reached ``state`` (default
    ``restored`` if the machine has it, else its last state) by each day after the start,
    drawn through the 5/25/50/75/95% quantiles that :class:`Outcomes` keeps; its plateau is
    the share that ever reached it. ``relation`` defaults to the first.
    """
    rel = _pick_outcome_relation(outcomes, relation)
    names = [s.state for s in rel.states]
    chosen = state or ("restored" if "restored" in names else names[-1])
    if chosen not in names:
        raise DipsimError(f"state {chosen!r} is not in the machine; states: {', '.join(names)}")
    with styled():
        fig = new_figure()
        ax_share, ax_days = fig.subplots(1, 2, width_ratios=(1.25, 1))
        _draw_shares(ax_share, rel)
        _draw_days(ax_days, outcomes, rel, chosen)
        fig.suptitle(title_text(outcomes.title), x=0.01, ha="left", fontweight="bold")
        ax_share.set_title(
            f"{rel.relation}: how {outcomes.runs:,} runs ended (seed {outcomes.seed})", pad=12
        )
    return fig


def _pick_outcome_relation(outcomes: Outcomes, relation: str | None) -> RelationOutcomes:
    if not outcomes.relations:
        raise DipsimError("the outcomes have no relation to draw")
    if relation is None:
        return outcomes.relations[0]
    for rel in outcomes.relations:
        if rel.relation == relation:
            return rel
    known = ", ".join(r.relation for r in outcomes.relations)
    raise DipsimError(f"relation {relation!r} is not in the outcomes; they have {known}")


def _draw_shares(ax: Axes, rel: RelationOutcomes) -> None:
    positions = range(len(rel.states))
    colours = state_colours([s.state for s in rel.states])
    shares = [s.ended.share for s in rel.states]
    errors = [
        [s.ended.share - s.ended.low for s in rel.states],
        [s.ended.high - s.ended.share for s in rel.states],
    ]
    bars = ax.bar(
        positions,
        shares,
        color=[colours[s.state] for s in rel.states],
        yerr=errors,
        capsize=8,
        error_kw={"linewidth": 2, "ecolor": "#333333"},
        width=0.65,
    )
    bars.set_label("_ended")  # found by tests and reports
    for i, s in enumerate(rel.states):
        ax.text(
            i,
            s.ended.high + 0.02,
            f"{100 * s.ended.share:.1f}%",
            ha="center",
            va="bottom",
            fontweight="bold",
        )
    ax.set_xticks(list(positions), [s.state for s in rel.states])
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    percent_axis(ax)
    ax.set_ylabel("share of runs ending in the state")
    ax.grid(axis="y", color="#e4e4e4")
    ax.set_axisbelow(True)
    if len(rel.states) > 4:
        ax.tick_params(axis="x", labelrotation=20)
    ax.text(
        1.0,
        -0.14 if len(rel.states) <= 4 else -0.2,
        "bars: 95% Wilson intervals",
        transform=ax.transAxes,
        ha="right",
        fontsize=12,
        color="#555555",
    )


def _draw_days(ax: Axes, outcomes: Outcomes, rel: RelationOutcomes, state: str) -> None:
    """The distribution of days until ``state`` was first reached: a histogram by day when the
    outcomes carry one, else a curve through the stored quantiles (outcomes read from older
    files)."""
    reach = rel.states[[s.state for s in rel.states].index(state)].days_to_reach
    if reach is not None and reach.by_day:
        _draw_days_histogram(ax, outcomes, rel, state)
    else:
        _draw_days_from_quantiles(ax, outcomes, rel, state)


def _draw_days_histogram(ax: Axes, outcomes: Outcomes, rel: RelationOutcomes, state: str) -> None:
    index = [s.state for s in rel.states].index(state)
    outcome = rel.states[index]
    reach = outcome.days_to_reach
    assert reach is not None
    colour = state_colours([s.state for s in rel.states])[state]
    runs = outcomes.runs
    shares = [n / runs for n in reach.by_day]
    days = range(len(shares))
    ax.set_title(f"day on which {state} was first reached", pad=12)
    ax.bar(
        days,
        shares,
        width=0.8,
        align="edge",
        color=colour,
        alpha=0.55,
        zorder=2,
        label="first reached that day",
    )
    cumulative, total = [], 0
    for n in reach.by_day:
        total += n
        cumulative.append(total / runs)
    # Held to the end of the axis (the end of the runs): a plateau reads "no more runs reached
    # it", where a line stopping short would read "not known after this day".
    end = max(1.0, (outcomes.stop - outcomes.start).days + 1.0)
    ax.step(
        [0.0, *(d + 1 for d in days), end],
        [0.0, *cumulative, cumulative[-1]],
        where="pre",
        color=colour,
        linewidth=3,
        zorder=3,
        label="reached by the end of the day",
    )
    ax.axvline(reach.p50, color="#333333", linestyle=":", linewidth=1.5, zorder=4)
    ax.text(
        reach.p50,
        0.45,
        f" median: day {reach.p50:.1f}",
        transform=ax.get_xaxis_transform(),
        ha="left",
        va="center",
        fontsize=12,
        color="#333333",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        zorder=5,
    )
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    ax.set_ylabel("share of all runs")
    ax.set_xlabel(f"days after the start, {outcomes.start.isoformat()}")
    ax.set_xlim(0, end)
    ax.grid(color="#e4e4e4", zorder=0)
    ax.legend(loc="upper left", frameon=False, fontsize=12)
    ax.text(
        1.0,
        -0.14,
        f"{reach.runs:,} of {runs:,} runs reached {state} ({100 * outcome.reached.share:.1f}%)",
        transform=ax.transAxes,
        ha="right",
        fontsize=12,
        color="#555555",
    )


def _draw_days_from_quantiles(
    ax: Axes, outcomes: Outcomes, rel: RelationOutcomes, state: str
) -> None:
    index = [s.state for s in rel.states].index(state)
    outcome = rel.states[index]
    ax.set_title(f"days until {state} was first reached", pad=12)
    ax.set_ylim(0, 1.05)
    percent_axis(ax)
    ax.set_ylabel("share of runs that had reached it")
    ax.set_xlabel(f"days after the start, {outcomes.start.isoformat()}")
    ax.grid(color="#e4e4e4")
    reach = outcome.days_to_reach
    if reach is None:
        ax.text(0.5, 0.5, f"no run reached {state}", transform=ax.transAxes, ha="center")
        ax.set_xlim(0, max(1, (outcomes.stop - outcomes.start).days + 1))
        return
    reached = outcome.reached.share
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    days = [reach.p5, reach.p25, reach.p50, reach.p75, reach.p95]
    colour = state_colours([s.state for s in rel.states])[state]
    ax.plot(
        days,
        [reached * q for q in levels],
        color=colour,
        linewidth=3,
        marker="o",
        markersize=9,
        zorder=3,
    )
    ax.axhline(reached, color=colour, linestyle="--", linewidth=1.5)
    ax.text(
        0.02,
        reached + 0.015,
        f"{100 * reached:.1f}% of runs ever reached it",
        transform=ax.get_yaxis_transform(),
        va="bottom",
        color=colour,
        fontsize=14,
    )
    for q, d in zip(levels, days, strict=True):
        ax.annotate(
            f"p{round(100 * q)}: {d:.1f} days",
            (d, reached * q),
            xytext=(10, -4),
            textcoords="offset points",
            fontsize=12,
            va="top",
            color="#333333",
        )
    span = max(1.0, (outcomes.stop - outcomes.start).days + 1.0)
    ax.set_xlim(0, span)
    ax.text(
        1.0,
        -0.14,
        f"through the 5/25/50/75/95% quantiles of {reach.runs:,} runs",
        transform=ax.transAxes,
        ha="right",
        fontsize=12,
        color="#555555",
    )
