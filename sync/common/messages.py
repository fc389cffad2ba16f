"""What people read: one line per error code, in the terminal's language. The texts are in
the gettext catalogues (``sync.common.i18n``): the code is the ``msgctxt``, the English text
below the ``msgid``, so a translator reads English and the code stays what programs rely on.
Amount parameters end in ``_cents`` and are formatted for the language by Babel; list
parameters are joined with commas.

>>> render("insufficient_balance", {"missing_cents": 40, "wallet": "Repas"}, "fr")
'Solde insuffisant sur «\\xa0Repas\\xa0»\\xa0: il manque 0,40\\xa0€.'
>>> render("insufficient_balance", {"missing_cents": 40, "wallet": "Repas"}, "nl")
"Onvoldoende saldo op 'Repas': er ontbreekt €\\xa00,40."
>>> render("no_such_code", {"seq": 3}, "en")
"no_such_code: {'seq': 3}"
"""
from __future__ import annotations

from sync.common.i18n import coded, translator
from sync.common.money import format_cents

# code → English source text (the msgid); the translations are in the catalogues.
MESSAGES: dict[str, str] = {
    # badges
    "unknown_badge": coded("unknown_badge", "Unknown badge: it belongs to no student. Send the "
                           "student to reception."),
    "blocked_badge": coded("blocked_badge", "Blocked badge (lost or stolen): nothing was "
                           "charged. Send the student to reception."),
    "badge_already_blocked": coded("badge_already_blocked", "This badge is already blocked."),
    "badge_not_blocked": coded("badge_not_blocked", "This badge is not blocked."),
    "bad_badge": coded("bad_badge", "Badge read could not be understood ({detail}): tap again."),
    "no_wallet": coded("no_wallet", "This student has no wallet: nothing was charged."),
    "unknown_student": coded("unknown_student", "This student is not (or no longer) in this "
                             "terminal's list: nothing was charged."),
    "name_not_found": coded("name_not_found", "No student of this name: check the spelling, "
                            "or search for the last name alone."),
    "name_ambiguous": coded("name_ambiguous", "Several students match: add the class or more of "
                            "the name. Nothing was done."),
    # carts and articles
    "empty_cart": coded("empty_cart", "The cart is empty."),
    "bad_quantity": coded("bad_quantity", "Invalid quantity for {article}: {quantity}."),
    "unknown_article": coded("unknown_article", "Unknown article: {article}."),
    "article_inactive": coded("article_inactive", "Article {article} is no longer on sale."),
    "article_not_sold_here": coded("article_not_sold_here", "Article {article} is not sold at "
                                   "this counter."),
    "article_blocked": coded("article_blocked", "The parents have blocked {article} for this "
                             "student."),
    "category_blocked": coded("category_blocked", "The parents have blocked the category "
                              "'{category}' ({article}) for this student."),
    "allergen_refused": coded("allergen_refused", "Not allowed for this student: {article} "
                              "contains {flags}."),
    # money
    "insufficient_balance": coded("insufficient_balance", "Not enough money in '{wallet}': "
                                  "{missing_cents} missing."),
    "daily_limit": coded("daily_limit", "Daily limit set by the parents reached ({limit_cents}, "
                         "already spent {spent_cents})."),
    "offline_cap": coded("offline_cap", "Terminal offline too long: cap of {cap_cents} per day "
                         "reached (already {spent_cents})."),
    "offline_limit": coded("offline_limit", "Offline: offline limit of {cap_cents} reached for "
                           "'{wallet}' ({left_cents} left)."),
    # confirmations
    "allergen": coded("allergen", "ALLERGY/DIET WARNING: {article} contains {flags}. Confirm?"),
    "double_tap": coded("double_tap", "This badge paid {seconds} s ago. Confirm a second sale?"),
    # reservations
    "no_reservation": coded("no_reservation", "No reservation to pick up today for this student."),
    "already_delivered": coded("already_delivered", "Already picked up on {when} at '{where}'."),
    "reservation_cancelled": coded("reservation_cancelled", "This reservation was cancelled."),
    "reservation_not_found": coded("reservation_not_found", "Reservation {reservation} not found "
                                   "for this student today."),
    # voids and day close
    "void_not_found": coded("void_not_found", "No sale number {seq} in the journal."),
    "void_wrong_kind": coded("void_wrong_kind", "Entry {seq} ({kind}) cannot be voided."),
    "void_not_today": coded("void_not_today", "Sale {seq} is not from today ({day}): contact the "
                            "finance office."),
    "void_closed": coded("void_closed", "Sale {seq} belongs to a closed day."),
    "already_voided": coded("already_voided", "Sale {seq} is already voided (void {void_seq})."),
    "bad_cash_amount": coded("bad_cash_amount", "The cash amount must be above zero and at most "
                             "{max_cents}."),
    "unknown_wallet": coded("unknown_wallet", "This student has no wallet {wallet}."),
    "day_closed": coded("day_closed", "Day {day} is closed (Z report): no more sales today on "
                        "this terminal."),
    # operators
    "unknown_operator": coded("unknown_operator", "Unknown operator: {name}."),
    "wrong_pin": coded("wrong_pin", "Wrong PIN ({attempts_left} attempt(s) left)."),
    "operator_locked": coded("operator_locked", "Too many wrong PINs: operator locked for "
                             "{seconds} s more (a supervisor can unlock)."),
    "forbidden": coded("forbidden", "Only a supervisor may do this ({action})."),
    "bad_pin": coded("bad_pin", "The PIN must be 4 to 8 digits."),
    "operator_exists": coded("operator_exists", "An operator '{name}' already exists."),
    "first_operator_admin": coded("first_operator_admin", "The first operator must be an admin "
                                  "(--role admin)."),
    # store
    "store_missing": coded("store_missing", "No terminal store at {path}: run 'comptoir init' "
                           "first."),
    "store_corrupt": coded("store_corrupt", "Terminal store is damaged ({detail}): sales "
                           "blocked, call support."),
    "chain_broken": coded("chain_broken", "Journal tampered with at entry {seq} ({detail}): "
                          "sales blocked, call support."),
    "journal_cut": coded("journal_cut", "The newest entries of this terminal's journal are "
                         "missing (it had reached entry {seq}): someone removed them, or the "
                         "store was put back from an older copy. Sales are blocked. Connect the "
                         "terminal to the network and synchronise (Admin, or 'comptoir sync "
                         "--once'): the entries the platform holds come back. If sales stay "
                         "blocked, call support."),
    "journal_behind": coded("journal_behind", "The platform holds entries of this terminal up to "
                            "number {seq} that this terminal no longer has (store put back from an "
                            "older copy?). Sales are blocked until they are fetched back: "
                            "synchronise (Admin, or 'comptoir sync --once'). If sales stay "
                            "blocked, call support."),
    "store_too_new": coded("store_too_new", "This store was made by a newer version (schema "
                           "{version} > {supported})."),
    "disk_full": coded("disk_full", "Disk full on this terminal: nothing was saved, nothing "
                       "debited. Have some space freed (call whoever looks after the terminals): "
                       "sales resume by themselves, no restart needed."),
    # backups (kiosk.backup, kiosk.restore)
    "backup_failed": coded("backup_failed", "No backup was made (see above); the store itself "
                           "is untouched."),
    "restore_no_backup": coded("restore_no_backup", "No backup found in {folders}: name the "
                               "backup file (comptoir restore FILE)."),
    "restore_backup_missing": coded("restore_backup_missing", "No backup file at {path}: "
                                    "nothing was changed."),
    "restore_backup_corrupt": coded("restore_backup_corrupt", "The backup {path} is damaged "
                                    "({detail}): nothing was changed. Take another backup."),
    "restore_store_in_use": coded("restore_store_in_use", "The terminal's store is open in "
                                  "another program (process {pids}): stop the touch app and "
                                  "the sync service first. Nothing was changed."),
    "restore_store_healthy": coded("restore_store_healthy", "The terminal's store {path} is "
                                   "intact: nothing was changed. To replace it all the same, "
                                   "add --force (it is kept aside)."),
    # badge reader
    "reader_unavailable": coded("reader_unavailable", "Badge reader unavailable: {detail}"),
    # sync
    "offline": coded("offline", "Platform unreachable ({detail}): sales go on and will be sent "
                     "later."),
    "garbage_answer": coded("garbage_answer", "The platform answered garbage ({detail}): nothing "
                            "was changed."),
    "refused": coded("refused", "The platform refuses ({status} {error}): {detail}"),
    "insecure_url": coded("insecure_url", "Address refused: {detail}"),
    "tls_error": coded("tls_error", "The platform's certificate is not valid ({detail}): "
                       "connection refused."),
    "not_enrolled": coded("not_enrolled", "This terminal is not enrolled with the platform: "
                          "{detail}"),
    "chain_mismatch": coded("chain_mismatch", "ALERT: the platform and this terminal disagree on "
                            "the journal ({detail})."),
    "push_incomplete": coded("push_incomplete", "Push incomplete: {detail}"),
    # printer (the receipts wait in the queue whatever happens: say so)
    "printer_ok": coded("printer_ok", "Printer ready."),
    "printer_paper_low": coded("printer_paper_low", "The paper roll is nearly finished: get a "
                               "new one ready."),
    "printer_offline": coded("printer_offline", "The printer does not answer ({where}): check "
                             "that it is on and plugged in. Receipts wait and will print when "
                             "it is back."),
    "printer_silent": coded("printer_silent", "The printer ({where}) takes the connection but does "
                            "not answer: switch it off and on again. Receipts wait and will print "
                            "when it answers."),
    "printer_unconfirmed": coded("printer_unconfirmed", "The printer ({where}) did not confirm the "
                                 "last receipt: check it, or switch it off and on again. Receipts "
                                 "wait; one that may have printed already will print again marked "
                                 "DUPLICATE."),
    "printer_unchecked": coded("printer_unchecked", "Printer reachable ({where}); this model gives "
                               "no status: receipts are sent without confirmation."),
    "printer_paper_out": coded("printer_paper_out", "The printer is out of paper: put in a new "
                               "roll. Receipts are waiting."),
    "printer_cover_open": coded("printer_cover_open", "The printer's cover is open: close it "
                                "firmly. Receipts are waiting."),
    "printer_error": coded("printer_error", "The printer reports an error ({detail}): switch it "
                           "off and on again. Receipts are waiting."),
    "printer_folder": coded("printer_folder", "Cannot write receipts into the folder {where} "
                            "({detail})."),
    "printer_none": coded("printer_none", 'No printer configured ([printer] backend = "none"): '
                          "nothing is printed."),
    "printer_job_bad": coded("printer_job_bad", "Receipt job {job} cannot be printed: {detail}"),
    "printer_busy": coded("printer_busy", "Another program of this terminal is already printing: "
                          "the receipt is in its queue."),
    "nothing_to_reprint": coded("nothing_to_reprint", "Nothing to reprint: no sale on this "
                                "terminal yet."),
    # generic carriers (detail already worded)
    "config_error": coded("config_error", "Invalid configuration: {detail}"),
    "import_error": coded("import_error", "Import refused, nothing was changed: {detail}"),
    "usage": coded("usage", "{detail}"),
}


def render(code: str, params: dict, lang: str = "fr") -> str:
    source = MESSAGES.get(code)
    if source is None:
        return f"{code}: {params}" if params else code
    text = translator(lang).pgettext(code, source)
    values = {k: (format_cents(v, lang) if k.endswith("_cents") and isinstance(v, int) else
                  ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
              for k, v in params.items()}
    try:
        return text.format(**values)
    except KeyError:
        return text
