"""The Support dashboard's figures for the last 30 days, and its small inline SVG chart.

Nothing is inflated: a bot answer counts as *confirmed* only when the visitor pressed "Yes";
an answer with no feedback in a conversation that never reached a person is reported apart,
as *assumed*. Escalated conversations are never counted as resolved by the bot. Satisfaction
(CSAT) is the visitors' own 👍/👎 after a conversation closed, counted on the day they rated;
the score is the share of good ratings, and there is none until someone rated.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from casedesk.accounts.models import Agency
from casedesk.support.models import (
    Conversation,
    ConversationMessage,
    CsatRating,
    Escalation,
    Feedback,
    MessageKind,
)

FIGURES = ("questions", "bot_answers", "confirmed", "assumed", "escalated", "csat_good", "csat_bad")


def csat_percent(good: int, bad: int) -> float | None:
    """The share of good ratings, 0–100, or None when nobody rated."""
    rated = good + bad
    return round(100 * good / rated, 1) if rated else None


@dataclass
class Day:
    day: date
    questions: int = 0
    bot_answers: int = 0
    confirmed: int = 0
    assumed: int = 0
    escalated: int = 0
    csat_good: int = 0
    csat_bad: int = 0
    reply_minutes: list[float] = field(default_factory=list)

    @property
    def median_reply_minutes(self) -> float | None:
        return statistics.median(self.reply_minutes) if self.reply_minutes else None


@dataclass
class Dashboard:
    days: list[Day]

    def total(self, name: str) -> int:
        return sum(getattr(day, name) for day in self.days)

    @property
    def median_reply_minutes(self) -> float | None:
        samples = [m for day in self.days for m in day.reply_minutes]
        return statistics.median(samples) if samples else None

    @property
    def totals(self) -> dict[str, int]:
        return {name: self.total(name) for name in FIGURES}

    @property
    def csat_percent(self) -> float | None:
        return csat_percent(self.total("csat_good"), self.total("csat_bad"))

    def svg(self, width: int = 600, height: int = 140) -> str:
        """Grouped bars per day: questions, confirmed, assumed, escalated, rated good, rated not
        good. Plain SVG, no script."""
        series = [
            ("questions", "#94a3b8"),
            ("confirmed", "#16a34a"),
            ("assumed", "#a3e635"),
            ("escalated", "#f97316"),
            ("csat_good", "#0284c7"),
            ("csat_bad", "#be123c"),
        ]
        names = {"csat_good": "rated good", "csat_bad": "rated not good"}
        peak = max([1] + [getattr(d, name) for d in self.days for name, _ in series])
        slot = width / max(1, len(self.days))
        bar = max(1.0, (slot - 2) / len(series))
        parts = [
            f'<svg viewBox="0 0 {width} {height + 16}" width="100%" role="img" '
            f'aria-label="Support questions, confirmed and assumed bot resolutions, escalations and '
            f'satisfaction ratings per day for the last {len(self.days)} days" class="support-chart">'
        ]
        for i, day in enumerate(self.days):
            for j, (name, colour) in enumerate(series):
                value = getattr(day, name)
                h = 0 if not value else max(1.0, height * value / peak)
                x = i * slot + 1 + j * bar
                parts.append(
                    f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{colour}">'
                    f"<title>{day.day:%b %d}: {value} {names.get(name, name)}</title></rect>"
                )
        parts.append(f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#cbd5e1"/>')
        if self.days:
            parts.append(
                f'<text x="0" y="{height + 13}" font-size="10" fill="#64748b">{self.days[0].day:%b %d}</text>'
            )
            parts.append(
                f'<text x="{width}" y="{height + 13}" font-size="10" fill="#64748b" text-anchor="end">'
                f"{self.days[-1].day:%b %d}</text>"
            )
        parts.append("</svg>")
        return "".join(parts)


def dashboard_for(agency: Agency, days: int = 30) -> Dashboard:
    """Four queries, whatever the volume: visitor questions, bot answers, escalations, ratings."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))
    by_day = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range(days)}

    def bucket(moment: datetime) -> Day | None:
        return by_day.get(timezone.localdate(moment))

    questions = ConversationMessage.objects.filter(
        conversation__agency=agency, kind=MessageKind.VISITOR, asked_bot=True, created_at__gte=since
    ).values_list("created_at", flat=True)
    for created in questions:
        if (day := bucket(created)) is not None:
            day.questions += 1
    answers = ConversationMessage.objects.filter(
        conversation__agency=agency, kind=MessageKind.BOT_ANSWER, created_at__gte=since
    ).values_list("created_at", "feedback", "conversation__escalation__id")
    for created, feedback, escalation_id in answers:
        if (day := bucket(created)) is None:
            continue
        day.bot_answers += 1
        if feedback == Feedback.HELPFUL:
            day.confirmed += 1
        elif not feedback and escalation_id is None:
            day.assumed += 1
    escalations = Escalation.objects.filter(target_agency=agency, created_at__gte=since).values_list(
        "created_at", "conversation__first_human_reply_at"
    )
    for created, first_reply in escalations:
        if (day := bucket(created)) is None:
            continue
        day.escalated += 1
        if first_reply is not None:
            day.reply_minutes.append(max(0.0, (first_reply - created).total_seconds() / 60))
    ratings = Conversation.objects.filter(agency=agency, csat_at__gte=since).values_list(
        "csat_at", "csat_rating"
    )
    for rated_at, rating in ratings:
        if rated_at is None or (day := bucket(rated_at)) is None:
            continue
        if rating == CsatRating.GOOD:
            day.csat_good += 1
        elif rating == CsatRating.BAD:
            day.csat_bad += 1
    return Dashboard(days=[by_day[d] for d in sorted(by_day)])
