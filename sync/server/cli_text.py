"""What the platform's command line prints, in its language: the translation helpers, the
coded words of its tables, and the tables themselves (sales journal, terminals, a bank
statement's summary). ``sync.server.cli`` reads the command line and runs the commands.
"""
from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sync.common.clock import local_time
from sync.common.i18n import DEFAULT_LANGUAGE, LANGUAGES, CommandLanguage, coded, translator
from sync.server.errors import say

if TYPE_CHECKING:
    from sync.server.badges import Decision

LANG_ENV = "COMPTOIR_LANG"
# Short words of the tables, coded: the code (msgctxt) tells a translator where the word stands
# and keeps it apart from the same English word elsewhere.
PERIOD_LABELS = {
    "today": coded("period_today", "today"),
    "yesterday": coded("period_yesterday", "yesterday"),
    "last_7_days": coded("period_last_7_days", "last 7 days"),
    "last_30_days": coded("period_last_30_days", "last 30 days"),
    "this_month": coded("period_this_month", "this month"),
    "last_month": coded("period_last_month", "last month"),
    "custom": coded("period_custom", "custom period")}
KIND_LABELS = {     # the sales journal's operations and a wallet's movements
    "sale": coded("operation_sale", "sale"),
    "photocopy": coded("operation_photocopy", "photocopy"),
    "void": coded("operation_void", "void"),
    "pickup": coded("operation_pickup", "pickup"),
    "reservation": coded("operation_reservation", "reservation"),
    "refund": coded("operation_refund", "refund"),
    "topup": coded("operation_topup", "top-up"),
    "transfer": coded("operation_transfer", "transfer")}
LOADED = {          # what demo-data loaded (entities.ENTITIES), counted
    "categories": coded("loaded_categories", "{count} categories"),
    "articles": coded("loaded_articles", "{count} articles"),
    "students": coded("loaded_students", "{count} students"),
    "badges": coded("loaded_badges", "{count} badges"),
    "wallets": coded("loaded_wallets", "{count} wallets"),
    "operators": coded("loaded_operators", "{count} operators"),
    "reservations": coded("loaded_reservations", "{count} reservations")}

# The language of every line printed, help included: --lang, else $COMPTOIR_LANG, else French.
# French because the platform belongs to the school, whose language is French (as the
# terminal's default, sync.common.i18n.DEFAULT_LANGUAGE); the platform has no terminal.toml
# to say otherwise. Set once by ``main``.
LANGUAGE = CommandLanguage()
set_language = LANGUAGE.set
_ = LANGUAGE.gettext                # English text in (the msgid), the chosen language out
ngettext = LANGUAGE.ngettext
pgettext = LANGUAGE.pgettext        # a short word in a context: pgettext("column", "Name")


def language() -> str:
    return LANGUAGE.code


def label(table: dict[str, str], prefix: str, key: str) -> str:
    """``key``'s label in one of the coded tables above (code ``{prefix}_{key}``)."""
    if key not in table:
        return key
    in_context = translator(language()).pgettext     # the code is made, not written
    return in_context(f"{prefix}_{key}", table[key])


def money(cents: int) -> str:
    from sync.common.money import format_cents
    return format_cents(cents, language())


def choose_language(cli_lang: str | None) -> str:
    """``--lang``, else ``$COMPTOIR_LANG``, else French (see ``_language``)."""
    if cli_lang in LANGUAGES:
        return cli_lang
    env = (os.environ.get(LANG_ENV) or "").strip().lower()
    return env if env in LANGUAGES else DEFAULT_LANGUAGE


def bank_summary(done: dict) -> str:
    lang = language()
    lines = [_("{lines} transfer lines: {matched} credited ({matched_amount}), {already} already"
               " imported ({already_amount}), {unmatched} unmatched").format(
        lines=done["lines"], matched=done["matched"], matched_amount=money(done["matched_cents"]),
        already=done["already_imported"], already_amount=money(done["already_imported_cents"]),
        unmatched=len(done["unmatched"]))]
    for u in done["unmatched"]:
        lines.append("  " + _("line {line}: {reason} — {date} | {amount} | {communication}")
                     .format(line=u["line"], reason=say(u["reason"], lang), date=u["date"],
                             amount=u["amount"], communication=u["communication"]))
    return "\n".join(lines)


def cut(text: str | None, width: int = 24) -> str:
    text = text or "-"
    return text if len(text) <= width else text[:width - 1] + "…"


def when(text: str) -> str:
    try:
        return f"{datetime.fromisoformat(text):%d/%m/%Y %H:%M}"
    except ValueError:
        return text


def columns(head: tuple[str, ...], rows: list[tuple[str, ...]], right: int = 0) -> list[str]:
    """Columns padded to their widest cell; the last ``right`` columns aligned right."""
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    lines = []
    for row in [head, *rows]:
        cells = [cell.rjust(w) if i >= len(head) - right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def devices_table(found: list[dict], tz: ZoneInfo) -> str:
    """The terminals as a table: local times in the school's zone."""
    if not found:
        return _("no terminal enrolled yet (see 'comptoir central enrol-code')")
    head = (pgettext("column", "Device"), pgettext("column", "Name"),
            pgettext("column", "Version"), pgettext("column", "Last seen"),
            pgettext("column", "Enrolled"), pgettext("column", "Revoked"),
            pgettext("column", "High water"), pgettext("column", "Conflicts"))
    never = pgettext("last_seen", "never")
    return "\n".join(columns(head, [
        (d["id"], cut(d["name"]), d["version"] or "-",
         when(local_time(d["last_seen_at"], tz)) if d["last_seen_at"] else never,
         when(local_time(d["enrolled_at"], tz)),
         when(local_time(d["revoked_at"], tz)) if d["revoked_at"] else "-",
         str(d["high_water"]), str(d["conflicts"])) for d in found], right=2))


def sales_table(journal: dict) -> str:
    first, last = journal["first_day"], journal["last_day"]
    lines = [_("Sales journal — {school} — from {first} to {last} ({period})").format(
        school=journal["school_id"], first=f"{first:%d/%m/%Y}", last=f"{last:%d/%m/%Y}",
        period=label(PERIOD_LABELS, "period", journal["period"]))]
    if not journal["rows"]:
        lines.append(_("No sale in this period."))
    else:
        head = (pgettext("column", "Date"), pgettext("column", "Terminal"),
                pgettext("column", "Operation"), pgettext("column", "Student"),
                pgettext("column", "Wallet"), pgettext("column", "Article"),
                pgettext("column", "Quantity"), pgettext("column", "Amount"))
        platform = pgettext("sales_device", "platform")
        rows: list[tuple[str, ...]] = [
            (when(r["local_time"]), cut(r["device_name"] or platform),
             label(KIND_LABELS, "operation", r["kind"]), cut(r["student_name"] or r["student_id"]),
             cut(r["wallet_name"] or r["wallet_id"]), cut(r["article_name"], 32),
             str(r["quantity"]), money(r["amount_cents"]))
            for r in journal["rows"]]
        lines += columns(head, rows, right=2)
    count = journal["count"]
    lines.append(ngettext("{count} line — total: {total}", "{count} lines — total: {total}",
                          count).format(count=count, total=money(journal["total_cents"])))
    return "\n".join(lines)


def badge_decision(decision: Decision) -> str:
    """What ``comptoir central badge block|unblock`` did (a ``badges.Decision``)."""
    if decision.status == "blocked":
        text = (_("badge {uid} (student {student}) blocked: every terminal refuses it from its"
                  " next sync") if decision.changed else
                _("badge {uid} (student {student}) was already blocked: every terminal refuses"
                  " it from its next sync"))
    else:
        text = (_("badge {uid} (student {student}) unblocked: every terminal accepts it again"
                  " from its next sync") if decision.changed else
                _("badge {uid} (student {student}) was not blocked"))
    return text.format(uid=decision.uid, student=decision.student_id)
