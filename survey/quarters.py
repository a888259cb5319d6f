"""Calendar quarters ("2026Q2") as UTC time ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter; `start` is inclusive and `end` exclusive, both UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q2' (or '2026q2') → Quarter(2026, 2); ValueError otherwise."""
        match = _QUARTER.match(text.strip().upper())
        if match is None:
            raise ValueError(f"a quarter looks like 2026Q2, not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime) -> Quarter:
        """The quarter a moment falls in (naive datetimes are taken as UTC)."""
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @classmethod
    def last_finished(cls, now: datetime) -> Quarter:
        """The most recent quarter that has ended by `now`."""
        return cls.containing(now).previous()

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        """The quarter after this one."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"
