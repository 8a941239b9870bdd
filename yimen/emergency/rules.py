"""The rules of an incident: the order of its stages, each level's reporting deadline and
who hears of it, the 2-hour clock and the 30-minute assembly of the teams.

Plain functions of plain values, so the pages, the supervision desk and the tests share
them. Deadlines are in minutes from the moment the incident was received (接警), not from
its grading: a late grading must not buy time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from .models import Level, Stage

# Each stage and the stages it may move to. Activating a plan is skipped for an incident
# that needs none; nothing else can be skipped, and nothing goes back.
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    Stage.RECEIVED: (Stage.GRADED,),
    Stage.GRADED: (Stage.ACTIVATED, Stage.RESPONSE),
    Stage.ACTIVATED: (Stage.RESPONSE,),
    Stage.RESPONSE: (Stage.RECOVERY,),
    Stage.RECOVERY: (Stage.CLOSED,),
    Stage.CLOSED: (),
}

# Who hears of an incident at each level, beyond the staff on duty and the directors:
# the leaders of the place, and for the two gravest levels the district's staff as well.
NOTIFY_DISTRICT = (Level.I, Level.II)


def may_move(current: str, target: str) -> bool:
    return target in NEXT_STAGES.get(current, ())


def report_minutes(level: str) -> int:
    """Minutes from receipt within which the report to the district is due, per level.

    特别重大 and 重大: 2 hours (the regulations); 较大 4 hours; 一般 24 hours. Settings
    ``YIMEN_INCIDENT_REPORT_MINUTES`` may change them (e.g. a stricter district).
    """
    return settings.YIMEN_INCIDENT_REPORT_MINUTES[Level(level).name]


def report_due(received_at: datetime, level: str) -> datetime:
    return received_at + timedelta(minutes=report_minutes(level))


@dataclass(frozen=True)
class Clock:
    """Where the report to the district stands: due when, minutes left (negative: late)."""

    due: datetime | None
    reported_at: datetime | None
    now: datetime

    @property
    def running(self) -> bool:
        return self.due is not None and self.reported_at is None

    @property
    def minutes_left(self) -> int | None:
        if self.due is None:
            return None
        until = self.reported_at or self.now
        return int((self.due - until).total_seconds() // 60)

    @property
    def minutes_late(self) -> int:
        left = self.minutes_left
        return -left if left is not None and left < 0 else 0

    @property
    def overdue(self) -> bool:
        """Late: not reported by the deadline, or reported after it."""
        if self.due is None:
            return False
        return (self.reported_at or self.now) > self.due

    @property
    def on_time(self) -> bool:
        return self.reported_at is not None and self.due is not None and not self.overdue


def clock(due: datetime | None, reported_at: datetime | None, now: datetime) -> Clock:
    return Clock(due, reported_at, now)


def assembly_deadline(activated_at: datetime) -> datetime:
    return activated_at + timedelta(minutes=settings.YIMEN_TEAM_ASSEMBLY_MINUTES)


@dataclass(frozen=True)
class TeamState:
    name: str
    members: int
    arrived: int
    deadline: datetime

    @property
    def assembled(self) -> bool:
        return self.members > 0 and self.arrived >= self.members

    def late(self, now: datetime) -> bool:
        """Not assembled once the assembly time has passed (30 minutes by default)."""
        return not self.assembled and now > self.deadline
