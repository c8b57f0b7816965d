"""A reporting period [start, end) in the CRM's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

END_BEFORE_START = _("The end of the period must be after its start.")


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Period:
    """Days ``start`` (included) to ``end`` (excluded), local time."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(END_BEFORE_START, code="end_before_start")

    @property
    def start_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        return local_midnight(self.end)

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        return cls(start, _add_months(start, 3))

    @classmethod
    def months_from(cls, day: date, months: int) -> Period:
        start = day.replace(day=1)
        return cls(start, _add_months(start, months))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
