"""Rich ``Text`` for the screens: untrusted strings never become markup or escapes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from sslterm.core.display import printable
from sslterm.core.records import CertificateRecord
from sslterm.core.status import Status

STATUS_STYLE = {Status.EXPIRED: "bold red", Status.VALID: "green", Status.NOT_YET_VALID: "yellow", Status.PENDING: "cyan"}
URGENCY_STYLE = {"critical": "bold red", "warning": "bold #ffaf00", "ok": ""}
EXPIRE_DAY_STYLE = {"critical": "bold red", "warning": "bold green", "ok": ""}  # seed 004: the 30-day bucket's Expire Day is green


def plain(value: object, style: str = "") -> Text:
    """Literal text: no markup parsed, control characters made visible."""
    text = Text(printable("" if value is None else value), no_wrap=True, overflow="ellipsis")
    if style:
        text.stylize(style)  # a span, not a base style: DataTable pads base-styled cells
    return text


def same_text(a: Text | None, b: Text | None) -> bool:
    """Whether two texts look alike: Rich's own ``==`` leaves out the base style."""
    if a is None or b is None:
        return a is b
    return a.plain == b.plain and a.spans == b.spans and a.style == b.style


def date(moment: datetime | None) -> Text:
    return plain(moment.strftime("%Y-%m-%d") if moment else "—")


def status_text(record: CertificateRecord, now: datetime) -> Text:
    status = record.status(now)
    label = status.label + (" (archived)" if record.archived else "")
    return plain(label, STATUS_STYLE[status])


def expire_day_text(record: CertificateRecord, now: datetime) -> Text:
    """Seed 004's colours: 'N/A' in red when expired; the day count in red within 7 days, green within 30."""
    status = record.status(now)
    if status is Status.EXPIRED:
        return plain("N/A", "bold red")
    days = record.days_left(now)
    if days is None:
        return plain("—")
    return plain(f"{days}d", EXPIRE_DAY_STYLE[record.urgency(now)])
