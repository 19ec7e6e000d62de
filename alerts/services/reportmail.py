"""The report mail, for scheduled reports and the weekly digest alike: an HTML part
(tables of the totals and top posts, the trend as a PNG attached inline by Content-ID,
links to the stats page and to a share link) and a plain-text part with the same
numbers. Built once per report, zone and period; each recipient's copy differs only in
its last line (manage the report, or unsubscribe for an address outside the accounts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from django.template.loader import render_to_string

from alerts.chart_png import HEIGHT, WIDTH, trend_png
from alerts.stats import ReportFigures

CHART_CID = "trend@oktodash"


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""  # shown inline in the HTML part (cid:…)

    def fields(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FailureRow:
    label: str  # "Failed", "Partly failed"
    network: str
    when: datetime  # local
    text: str
    url: str


@dataclass(frozen=True)
class Mail:
    subject: str
    context: dict
    files: list[MailFile] = field(default_factory=list)

    @property
    def text(self) -> str:
        return mail_text(self.context)

    @property
    def html(self) -> str:
        return render_to_string("alerts/mail/report.html", self.context)

    def for_outside(self, unsubscribe_url: str) -> tuple[str, str]:
        """The text and HTML for an address outside the accounts: an unsubscribe link
        instead of the page to manage reports, which needs an account."""
        outside = replace(self, context={**self.context, "unsubscribe_url": unsubscribe_url})
        return outside.text, outside.html

    def with_file(self, file: MailFile) -> Mail:
        return replace(self, files=[*self.files, file], context={**self.context, "pdf": file.name})


def report_mail(
    figures: ReportFigures,
    *,
    subject: str,
    title: str,
    intro: str,
    share_url: str | None,
    manage_url: str,
    manage_words: str = "Change or stop this report",
    failures: list[FailureRow] | None = None,
    failures_total: int = 0,
) -> Mail:
    values = figures.chart_values
    chart = trend_png(figures.chart_days, values, figures.chart_before, figures.chart_label)
    alt = (
        f"{figures.chart_label} per day, {figures.span}: {sum(values):,} in all, "
        f"{sum(figures.chart_before):,} in the period before"
    )
    context = {
        "subject": subject,
        "title": title,
        "intro": intro,
        "figures": figures,
        "chart_cid": CHART_CID,
        "chart_alt": alt,
        "chart_width": WIDTH,
        "chart_height": HEIGHT,
        "chart_rows": list(zip(figures.chart_days, values, figures.chart_before, strict=True)),
        "share_url": share_url,
        "manage_url": manage_url,
        "manage_words": manage_words,
        "failures": failures,
        "failures_total": failures_total,
        "unsubscribe_url": "",
        "pdf": "",
    }
    png = MailFile("trend.png", "image/png", chart, content_id=CHART_CID)
    return Mail(subject=subject, context=context, files=[png])


def mail_text(c: dict) -> str:
    """The plain-text part: the same figures, aligned for a fixed-width font."""
    figures: ReportFigures = c["figures"]
    out = [c["intro"], f"Scope: {', '.join(figures.scope)}", ""]
    width = max(len(r.name) for r in figures.rows)
    for r in figures.rows:
        if r.known:
            out.append(f"  {r.name:<{width}}  {r.value:>9,}  ({r.change}; before: {r.before:,})")
        else:
            out.append(f"  {r.name:<{width}}  {'not yet':>9}  (not read from Oktopost yet)")
    out += ["", f"{figures.chart_label} per day (the period before in brackets):"]
    for day, value, before in c["chart_rows"]:
        out.append(f"  {day:%a %-d %b}  {value:>7,}  ({before:,})")
    out += ["", f"Top posts (by {figures.chart_label.lower()}):"]
    if not figures.top:
        out.append("  none with any yet")
    for row in figures.top:
        out.append(
            f"  {row.network}, {row.when:%a %-d %b %H:%M}: “{row.text}” "
            f"{row.clicks:,} clicks, {row.engagement:,} engagement"
        )
        out.append(f"    {row.url}")
    if c["failures"] is not None:
        out += ["", f"Failures: {c['failures_total']}"]
        for f in c["failures"]:
            out.append(f"  {f.label}: {f.network}, {f.when:%a %-d %b %H:%M}: “{f.text}”")
            out.append(f"    {f.url}")
    out += ["", f"The full stats view: {c['share_url'] or figures.stats_url}"]
    if c["share_url"]:
        out.append("  (a read-only link that opens without an account)")
    if c["pdf"]:
        out.append(f"The same report as a PDF is attached ({c['pdf']}).")
    if c["unsubscribe_url"]:
        out.append(f"Stop getting this report: {c['unsubscribe_url']}")
    else:
        out.append(f"{c['manage_words']}: {c['manage_url']}")
    return "\n".join(out) + "\n"
