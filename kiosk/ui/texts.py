"""The screens' own words (labels and titles), by key, in the screen's language. The texts
are in the gettext catalogues (``sync.common.i18n``): the key is the ``msgctxt``, the English
text below the ``msgid``. The ``.kv`` files hold no words of their own: they call
``app.tr('key', app.lang)``, so extracting this module covers them (``tests/test_translations``
checks that every key they use is here). Error and refusal texts come from
``sync.common.messages`` (the counter service's codes).

>>> tr("badge_to_pay", "nl")
'Badge om te betalen'
>>> tr("waiting_entries", "fr", count=3)
'3 en attente'
>>> tr("no_such_key", "fr")
'no_such_key'
"""
from __future__ import annotations

from sync.common.i18n import coded, translator

T: dict[str, str] = {      # key: English source text (the msgid)
    # navigation
    "nav_sale": coded("nav_sale", "Sale"),
    "nav_pickup": coded("nav_pickup", "Sandwiches"),
    "nav_copies": coded("nav_copies", "Copies"),
    "nav_balance": coded("nav_balance", "Balance"),
    "nav_admin": coded("nav_admin", "Admin"),
    "back": coded("back", "Back"),
    "confirm": coded("confirm", "Confirm"),
    "cancel": coded("cancel", "Cancel"),
    "close": coded("close", "Close"),
    # login
    "login_title": coded("login_title", "Who are you?"),
    "locked_title": coded("locked_title", "Session locked"),
    "enter_pin": coded("enter_pin", "PIN for {name}"),
    "pick_operator": coded("pick_operator", "Tap your name"),
    "ok": coded("ok", "OK"),
    "switch": coded("switch", "Switch"),
    "lock": coded("lock", "Lock"),
    "supervisor_needed": coded("supervisor_needed", "A supervisor's PIN"),
    # roles by their function, not a person's title: the same word for Marie and for Luc
    "role_seller": coded("role_seller", "Sales"),
    "role_supervisor": coded("role_supervisor", "Supervision"),
    "role_admin": coded("role_admin", "Administration"),
    # sale
    "cart": coded("cart", "Cart"),
    "cart_empty": coded("cart_empty", "Tap an article to add it"),
    "total": coded("total", "Total"),
    "clear": coded("clear", "Clear"),
    "badge_to_pay": coded("badge_to_pay", "Badge to pay"),
    "waiting_badge": coded("waiting_badge", "Waiting for the badge… {amount}"),
    "rush": coded("rush", "Rush mode"),
    "rush_pick": coded("rush_pick", "Rush mode: tap the article"),
    "rush_on": coded("rush_on", "RUSH: each badge buys 1 × {article} ({price})"),
    "rush_stop": coded("rush_stop", "Stop rush"),
    "tap_badge": coded("tap_badge", "Tap the badge"),
    "paid": coded("paid", "PAID"),
    "refused": coded("refused", "REFUSED"),
    "new_balance": coded("new_balance", "New balance: {amount}"),
    "missing": coded("missing", "{amount} missing"),
    "allergy_title": coded("allergy_title", "ALLERGY / DIET"),
    "allergy_article": coded("allergy_article", "{article} contains: {flags}"),
    "sell_anyway": coded("sell_anyway", "Sell anyway"),
    "do_not_sell": coded("do_not_sell", "Do not sell"),
    "double_tap_title": coded("double_tap_title", "Second tap"),
    "sale_cancelled": coded("sale_cancelled", "Sale cancelled: nothing was charged."),
    "unpaid_title": coded("unpaid_title", "NOT PAID"),
    "unpaid_detail": coded("unpaid_detail", "Nothing was charged: the cart ({amount}) is"
                           " waiting."),
    "unpaid_todo": coded("unpaid_todo", "To pay: tap 'Badge to pay', then the badge again."),
    "not_paid_rearm": coded("not_paid_rearm", "Not paid: tap 'Badge to pay' again for"
                            " the next badge."),
    # a student who forgot the badge (kiosk/ui/lookup.py)
    "forgotten_badge": coded("forgotten_badge", "Forgotten badge"),
    "lookup_title": coded("lookup_title", "Forgotten badge: find the student by name"),
    "lookup_hint": coded("lookup_hint", "Type at least 2 letters of the first or last name (no"
                         " accents needed), or add the class."),
    "lookup_none": coded("lookup_none", "No student found."),
    "lookup_more": coded("lookup_more", "More students match: type more of the name, or the"
                         " class."),
    "lookup_confirm": coded("lookup_confirm", "Without badge: {student}"),
    "space": coded("space", "Space"),
    "error": coded("error", "Error"),
    # pickup
    "pickup_title": coded("pickup_title", "Reserved sandwiches"),
    "reserved": coded("reserved", "Reserved"),
    "delivered": coded("delivered", "Delivered"),
    "left": coded("left", "Left"),
    "search": coded("search", "Search (name or class)"),
    "print_pick_list": coded("print_pick_list", "Print the pick list"),
    "print_uncollected": coded("print_uncollected", "Print the uncollected"),
    "print_queued": coded("print_queued", "Print requested (no. {job})."),
    "deliver": coded("deliver", "Hand over {count}"),
    "delivered_ok": coded("delivered_ok", "HANDED OVER"),
    "hand_over_anyway": coded("hand_over_anyway", "Hand over anyway"),
    "do_not_hand_over": coded("do_not_hand_over", "Do not hand over"),
    "handover_cancelled": coded("handover_cancelled", "Not handed over."),
    "nothing_today": coded("nothing_today", "Nothing to pick up today."),
    "status_reserved": coded("status_reserved", "to hand over"),
    "status_delivered": coded("status_delivered", "handed over {when}"),
    "status_cancelled": coded("status_cancelled", "cancelled"),
    # photocopies
    "copies_bw": coded("copies_bw", "Black & white"),
    "copies_colour": coded("copies_colour", "Colour"),
    "pages": coded("pages", "pages"),
    "per_page": coded("per_page", "{price} / page"),
    "other_articles": coded("other_articles", "Other articles"),
    # balance
    "balance_title": coded("balance_title", "Check your balance"),
    "balance_tap": coded("balance_tap", "Hold your badge to the reader"),
    "balance_of": coded("balance_of", "Balance"),
    "last_purchases": coded("last_purchases", "Last purchases"),
    "no_purchases": coded("no_purchases", "No recent purchases here."),
    "topup_how": coded("topup_how",
                       "Top up: transfer to {iban} ({bic}) in the name of {name},"
                       " reference {comm}"),
    "topup_comm": coded("topup_comm", "Structured reference: {comm}"),
    "topup_no_iban": coded("topup_no_iban",
                           "Top up: ask the finance office (IBAN not configured)."),
    "topup_delay": coded("topup_delay", "Money arrives about 4 days after the transfer."),
    "kind_sale": coded("kind_sale", "Purchase"),
    "kind_photocopy": coded("kind_photocopy", "Copies"),
    "kind_void": coded("kind_void", "Void"),
    "kind_pickup": coded("kind_pickup", "Pickup"),
    # admin
    "admin_title": coded("admin_title", "Admin — {name}"),
    "sec_sync": coded("sec_sync", "Sync"),
    "sec_sales": coded("sec_sales", "Today's sales"),
    "sec_reports": coded("sec_reports", "X / Z reports"),
    "sec_badge": coded("sec_badge", "Lost badge"),
    "sec_devices": coded("sec_devices", "Reader and printer"),
    "sec_language": coded("sec_language", "Language"),
    "sync_now": coded("sync_now", "Sync now"),
    "sync_running": coded("sync_running", "Syncing…"),
    "sync_done": coded("sync_done", "Synced: {pushed} sent, {pulled} received."),
    "sync_state": coded("sync_state", "State: {state}"),
    "last_success": coded("last_success", "Last success: {when}"),
    "data_age": coded("data_age", "Data received: {when}"),
    "last_error": coded("last_error", "Last error: {error}"),
    "not_enrolled": coded("not_enrolled", "Terminal not enrolled with the platform"),
    "clock_check": coded("clock_check", "Check the terminal's date and time."),
    "void": coded("void", "Void"),
    "voided": coded("voided", "voided"),
    "reprint": coded("reprint", "Receipt"),
    "void_confirm": coded("void_confirm", "Void sale {seq} ({amount}) of {student}?"),
    "void_done": coded("void_done", "Sale {seq} voided: {amount} credited back."),
    "no_sales": coded("no_sales", "No sales today."),
    "report_x": coded("report_x", "X report"),
    "report_z": coded("report_z", "Z close"),
    "z_confirm": coded("z_confirm", "Close the day? No more sales today on this terminal."),
    "report_head": coded("report_head", "{kind} — {day} — entries {first} to {last}"),
    "report_totals": coded("report_totals", "Gross {gross} — voids {voids} — net {net}"),
    "report_closed": coded("report_closed",
                           "Day closed (Z no. {seq}). The report is being printed."),
    "block": coded("block", "Block"),
    "blocked": coded("blocked", "blocked"),
    "block_confirm": coded("block_confirm",
                           "Block badge {uid} of {name}? It will be refused here at once, and"
                           " on every terminal from their next sync."),
    "block_done": coded("block_done", "Badge {uid} blocked here; blocked on every terminal at"
                        " their next sync."),
    "unblock": coded("unblock", "Unblock"),
    "unblock_confirm": coded("unblock_confirm",
                             "Unblock badge {uid} of {name}? It will be accepted again here at"
                             " once, and on every terminal from their next sync."),
    "unblock_done": coded("unblock_done", "Badge {uid} unblocked here; unblocked on every"
                          " terminal at their next sync."),
    "reprint_last": coded("reprint_last", "Reprint the last receipt"),
    "print_queue": coded("print_queue", "Prints waiting: {pending} (failed: {failed})"),
    # status bar
    "not_enrolled_short": coded("not_enrolled_short", "Not enrolled"),
    "online": coded("online", "Online"),
    "offline": coded("offline", "Offline"),
    "sync_error": coded("sync_error", "Sync error"),
    "sync_revoked": coded("sync_revoked", "Revoked by the platform: enrol again"),
    "sync_unauthorized": coded("sync_unauthorized", "Token refused by the platform: enrol again"),
    "pull_receiving": coded("pull_receiving", "receiving {records} records, {size}"),
    "pull_partial": coded("pull_partial", "school incomplete ({records} records, {size})"),
    "never_synced": coded("never_synced", "Never synced"),
    "data_from": coded("data_from", "data {when}"),
    "waiting_entries": coded("waiting_entries", "{count} waiting"),
    "reader": coded("reader", "Reader"),
    "printer": coded("printer", "Printer"),
    "state_ok": coded("state_ok", "OK"),
    "state_missing": coded("state_missing", "missing"),
    "state_error": coded("state_error", "error"),
    "state_unknown": coded("state_unknown", "?"),
    "state_none": coded("state_none", "none"),
    "banner_reader": coded("banner_reader", "BADGE READER GONE: badges are not read. {reason}"),
    "banner_printer": coded("banner_printer",
                            "PRINTER UNAVAILABLE: receipts are waiting. {reason}"),
    "banner_disk": coded("banner_disk", "DISK FULL: sales are not saved. Have some space "
                         "freed: sales resume by themselves."),
    "demo_badges": coded("demo_badges", "Demo badges"),
    # small pieces the screens put together
    "sale_no": coded("sale_no", "No. {seq}"),
    "label_value": coded("label_value", "{label}: {value}"),
    "never": coded("never", "never"),
    "just_now": coded("just_now", "less than a minute ago"),
    # a student's allergen and diet flags, as the allergen alert names them (an unknown one
    # shows as written): the EU's 14 allergens and the usual diets
    "flag_gluten": coded("flag_gluten", "gluten"),
    "flag_crustaceans": coded("flag_crustaceans", "crustaceans"),
    "flag_egg": coded("flag_egg", "egg"),
    "flag_fish": coded("flag_fish", "fish"),
    "flag_peanuts": coded("flag_peanuts", "peanuts"),
    "flag_soy": coded("flag_soy", "soy"),
    "flag_milk": coded("flag_milk", "milk"),
    "flag_nuts": coded("flag_nuts", "nuts"),
    "flag_celery": coded("flag_celery", "celery"),
    "flag_mustard": coded("flag_mustard", "mustard"),
    "flag_sesame": coded("flag_sesame", "sesame"),
    "flag_sulphites": coded("flag_sulphites", "sulphites"),
    "flag_lupin": coded("flag_lupin", "lupin"),
    "flag_molluscs": coded("flag_molluscs", "molluscs"),
    "flag_pork": coded("flag_pork", "pork"),
    "flag_meat": coded("flag_meat", "meat"),
}


def tr(key: str, lang: str = "fr", **params: object) -> str:
    source = T.get(key)
    if source is None:
        return key
    text = translator(lang).pgettext(key, source)
    return text.format(**params) if params else text


def flag_name(flag: str, lang: str = "fr") -> str:
    """An allergen or diet flag in ``lang`` (a flag the catalogue does not know: as written).

    >>> flag_name("pork", "nl"), flag_name("kiwi", "nl")
    ('varkensvlees', 'kiwi')
    """
    key = f"flag_{flag.strip().casefold()}"
    return tr(key, lang) if key in T else flag
