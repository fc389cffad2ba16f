"""What people read: one line per error code, in French (default), Dutch and English.
Amount parameters end in ``_cents`` and are formatted for the language by Babel.

>>> render("insufficient_balance", {"missing_cents": 40, "wallet": "Repas"}, "fr")
'Solde insuffisant sur « Repas » : il manque 0,40\xa0€.'
"""
from __future__ import annotations

from sync.common.money import format_cents

CATALOGUE: dict[str, dict[str, str]] = {
    # badges
    "unknown_badge": {
        "fr": "Badge inconnu : il n'est lié à aucun élève. Envoyez l'élève à l'accueil.",
        "nl": "Onbekende badge: niet gekoppeld aan een leerling. Stuur de leerling naar het onthaal.",
        "en": "Unknown badge: it belongs to no student. Send the student to reception."},
    "blocked_badge": {
        "fr": "Badge bloqué (perdu ou volé) : rien n'a été débité. Envoyez l'élève à l'accueil.",
        "nl": "Badge geblokkeerd (verloren of gestolen): niets afgerekend. Stuur de leerling naar het onthaal.",
        "en": "Blocked badge (lost or stolen): nothing was charged. Send the student to reception."},
    "bad_badge": {
        "fr": "Lecture du badge illisible ({detail}) : faites-le repasser.",
        "nl": "Badge onleesbaar ({detail}): laat opnieuw scannen.",
        "en": "Badge read could not be understood ({detail}): tap again."},
    "no_wallet": {
        "fr": "Aucun portefeuille pour cet élève : rien n'a été débité.",
        "nl": "Geen portefeuille voor deze leerling: niets afgerekend.",
        "en": "This student has no wallet: nothing was charged."},
    # carts and articles
    "empty_cart": {"fr": "Le panier est vide.", "nl": "Het mandje is leeg.", "en": "The cart is empty."},
    "bad_quantity": {
        "fr": "Quantité invalide pour {article} : {quantity}.",
        "nl": "Ongeldige hoeveelheid voor {article}: {quantity}.",
        "en": "Invalid quantity for {article}: {quantity}."},
    "unknown_article": {
        "fr": "Article inconnu : {article}.", "nl": "Onbekend artikel: {article}.",
        "en": "Unknown article: {article}."},
    "article_inactive": {
        "fr": "L'article {article} n'est plus en vente.", "nl": "Artikel {article} is niet meer te koop.",
        "en": "Article {article} is no longer on sale."},
    "article_not_sold_here": {
        "fr": "L'article {article} n'est pas vendu à ce comptoir.",
        "nl": "Artikel {article} wordt aan deze balie niet verkocht.",
        "en": "Article {article} is not sold at this counter."},
    "article_blocked": {
        "fr": "Les parents ont bloqué l'article {article} pour cet élève.",
        "nl": "De ouders hebben artikel {article} voor deze leerling geblokkeerd.",
        "en": "The parents have blocked {article} for this student."},
    "category_blocked": {
        "fr": "Les parents ont bloqué la catégorie « {category} » ({article}) pour cet élève.",
        "nl": "De ouders hebben de categorie '{category}' ({article}) voor deze leerling geblokkeerd.",
        "en": "The parents have blocked the category '{category}' ({article}) for this student."},
    "allergen_refused": {
        "fr": "Interdit pour cet élève : {article} contient {flags}.",
        "nl": "Niet toegelaten voor deze leerling: {article} bevat {flags}.",
        "en": "Not allowed for this student: {article} contains {flags}."},
    # money
    "insufficient_balance": {
        "fr": "Solde insuffisant sur « {wallet} » : il manque {missing_cents}.",
        "nl": "Onvoldoende saldo op '{wallet}': er ontbreekt {missing_cents}.",
        "en": "Not enough money in '{wallet}': {missing_cents} missing."},
    "daily_limit": {
        "fr": "Limite journalière fixée par les parents atteinte ({limit_cents}, déjà dépensé {spent_cents}).",
        "nl": "Daglimiet van de ouders bereikt ({limit_cents}, al uitgegeven {spent_cents}).",
        "en": "Daily limit set by the parents reached ({limit_cents}, already spent {spent_cents})."},
    "offline_cap": {
        "fr": "Caisse hors ligne depuis trop longtemps : plafond de {cap_cents} par jour atteint (déjà {spent_cents}).",
        "nl": "Kassa te lang offline: plafond van {cap_cents} per dag bereikt (al {spent_cents}).",
        "en": "Terminal offline too long: cap of {cap_cents} per day reached (already {spent_cents})."},
    # confirmations
    "allergen": {
        "fr": "ATTENTION ALLERGIE/RÉGIME : {article} contient {flags}. Confirmer la vente ?",
        "nl": "OPGELET ALLERGIE/DIEET: {article} bevat {flags}. Verkoop bevestigen?",
        "en": "ALLERGY/DIET WARNING: {article} contains {flags}. Confirm the sale?"},
    "double_tap": {
        "fr": "Ce badge vient de payer il y a {seconds} s. Confirmer une deuxième vente ?",
        "nl": "Deze badge heeft {seconds} s geleden betaald. Tweede verkoop bevestigen?",
        "en": "This badge paid {seconds} s ago. Confirm a second sale?"},
    # reservations
    "no_reservation": {
        "fr": "Aucune réservation à retirer aujourd'hui pour cet élève.",
        "nl": "Geen reservering om vandaag af te halen voor deze leerling.",
        "en": "No reservation to pick up today for this student."},
    "already_delivered": {
        "fr": "Déjà retiré le {when} à « {where} ».", "nl": "Al afgehaald op {when} bij '{where}'.",
        "en": "Already picked up on {when} at '{where}'."},
    "reservation_cancelled": {
        "fr": "Cette réservation a été annulée.", "nl": "Deze reservering werd geannuleerd.",
        "en": "This reservation was cancelled."},
    "reservation_not_found": {
        "fr": "Réservation {reservation} introuvable pour cet élève aujourd'hui.",
        "nl": "Reservering {reservation} niet gevonden voor deze leerling vandaag.",
        "en": "Reservation {reservation} not found for this student today."},
    # voids and day close
    "void_not_found": {
        "fr": "Aucune vente n°{seq} dans le journal.", "nl": "Geen verkoop nr. {seq} in het journaal.",
        "en": "No sale number {seq} in the journal."},
    "void_wrong_kind": {
        "fr": "L'opération n°{seq} ({kind}) ne peut pas être annulée.",
        "nl": "Verrichting nr. {seq} ({kind}) kan niet geannuleerd worden.",
        "en": "Entry {seq} ({kind}) cannot be voided."},
    "void_not_today": {
        "fr": "La vente n°{seq} n'est pas d'aujourd'hui ({day}) : contactez l'économat.",
        "nl": "Verkoop nr. {seq} is niet van vandaag ({day}): contacteer het economaat.",
        "en": "Sale {seq} is not from today ({day}): contact the finance office."},
    "void_closed": {
        "fr": "La vente n°{seq} fait partie d'une journée clôturée.",
        "nl": "Verkoop nr. {seq} hoort bij een afgesloten dag.",
        "en": "Sale {seq} belongs to a closed day."},
    "already_voided": {
        "fr": "La vente n°{seq} est déjà annulée (annulation n°{void_seq}).",
        "nl": "Verkoop nr. {seq} is al geannuleerd (annulering nr. {void_seq}).",
        "en": "Sale {seq} is already voided (void {void_seq})."},
    "day_closed": {
        "fr": "La journée du {day} est clôturée (Z) : plus de ventes aujourd'hui sur cette caisse.",
        "nl": "De dag {day} is afgesloten (Z): geen verkopen meer vandaag op deze kassa.",
        "en": "Day {day} is closed (Z report): no more sales today on this terminal."},
    # operators
    "unknown_operator": {
        "fr": "Opérateur inconnu : {name}.", "nl": "Onbekende gebruiker: {name}.",
        "en": "Unknown operator: {name}."},
    "wrong_pin": {
        "fr": "Code PIN incorrect ({attempts_left} essai(s) restant(s)).",
        "nl": "Verkeerde pincode (nog {attempts_left} poging(en)).",
        "en": "Wrong PIN ({attempts_left} attempt(s) left)."},
    "operator_locked": {
        "fr": "Trop d'erreurs de code : opérateur bloqué encore {seconds} s (un responsable peut débloquer).",
        "nl": "Te veel foute codes: gebruiker geblokkeerd voor nog {seconds} s (een verantwoordelijke kan deblokkeren).",
        "en": "Too many wrong PINs: operator locked for {seconds} s more (a supervisor can unlock)."},
    "forbidden": {
        "fr": "Action réservée à un responsable ({action}).",
        "nl": "Actie voorbehouden aan een verantwoordelijke ({action}).",
        "en": "Only a supervisor may do this ({action})."},
    "bad_pin": {
        "fr": "Le code PIN doit compter de 4 à 8 chiffres.", "nl": "De pincode moet 4 tot 8 cijfers tellen.",
        "en": "The PIN must be 4 to 8 digits."},
    "operator_exists": {
        "fr": "Un opérateur « {name} » existe déjà.", "nl": "Er bestaat al een gebruiker '{name}'.",
        "en": "An operator '{name}' already exists."},
    "first_operator_admin": {
        "fr": "Le premier opérateur doit être un administrateur (--role admin).",
        "nl": "De eerste gebruiker moet een beheerder zijn (--role admin).",
        "en": "The first operator must be an admin (--role admin)."},
    # store
    "store_missing": {
        "fr": "Pas de caisse dans {path} : lancez d'abord « comptoir init ».",
        "nl": "Geen kassa in {path}: voer eerst 'comptoir init' uit.",
        "en": "No terminal store at {path}: run 'comptoir init' first."},
    "store_corrupt": {
        "fr": "Fichier de la caisse endommagé ({detail}) : ventes bloquées, appelez le support.",
        "nl": "Kassabestand beschadigd ({detail}): verkoop geblokkeerd, bel de support.",
        "en": "Terminal store is damaged ({detail}): sales blocked, call support."},
    "chain_broken": {
        "fr": "Journal altéré à l'opération n°{seq} ({detail}) : ventes bloquées, appelez le support.",
        "nl": "Journaal gewijzigd bij verrichting nr. {seq} ({detail}): verkoop geblokkeerd, bel de support.",
        "en": "Journal tampered with at entry {seq} ({detail}): sales blocked, call support."},
    "store_too_new": {
        "fr": "Cette caisse a été créée par une version plus récente (schéma {version} > {supported}).",
        "nl": "Deze kassa werd aangemaakt door een nieuwere versie (schema {version} > {supported}).",
        "en": "This store was made by a newer version (schema {version} > {supported})."},
    "disk_full": {
        "fr": "Disque plein : rien n'a été enregistré. Libérez de la place puis recommencez.",
        "nl": "Schijf vol: niets werd opgeslagen. Maak ruimte vrij en probeer opnieuw.",
        "en": "Disk full: nothing was saved. Free some space and try again."},
    # badge reader
    "reader_unavailable": {
        "fr": "Lecteur de badges indisponible : {detail}",
        "nl": "Badgelezer niet beschikbaar: {detail}",
        "en": "Badge reader unavailable: {detail}"},
    # sync
    "offline": {
        "fr": "Plateforme injoignable ({detail}) : les ventes continuent, elles partiront plus tard.",
        "nl": "Platform onbereikbaar ({detail}): de verkoop gaat door, alles wordt later verstuurd.",
        "en": "Platform unreachable ({detail}): sales go on and will be sent later."},
    "garbage_answer": {
        "fr": "Réponse incompréhensible de la plateforme ({detail}) : rien n'a été modifié.",
        "nl": "Onbegrijpelijk antwoord van het platform ({detail}): niets gewijzigd.",
        "en": "The platform answered garbage ({detail}): nothing was changed."},
    "refused": {
        "fr": "La plateforme refuse ({status} {error}) : {detail}",
        "nl": "Het platform weigert ({status} {error}): {detail}",
        "en": "The platform refuses ({status} {error}): {detail}"},
    "insecure_url": {"fr": "Adresse refusée : {detail}", "nl": "Adres geweigerd: {detail}",
                     "en": "Address refused: {detail}"},
    "tls_error": {
        "fr": "Certificat de la plateforme invalide ({detail}) : connexion refusée.",
        "nl": "Certificaat van het platform ongeldig ({detail}): verbinding geweigerd.",
        "en": "The platform's certificate is not valid ({detail}): connection refused."},
    "not_enrolled": {
        "fr": "Caisse non inscrite auprès de la plateforme : {detail}",
        "nl": "Kassa niet ingeschreven bij het platform: {detail}",
        "en": "This terminal is not enrolled with the platform: {detail}"},
    "chain_mismatch": {
        "fr": "ALERTE : la plateforme et la caisse ne sont pas d'accord sur le journal ({detail}).",
        "nl": "ALARM: platform en kassa zijn het niet eens over het journaal ({detail}).",
        "en": "ALERT: the platform and this terminal disagree on the journal ({detail})."},
    "push_incomplete": {
        "fr": "Envoi incomplet : {detail}", "nl": "Verzending onvolledig: {detail}",
        "en": "Push incomplete: {detail}"},
    # printer (the receipts wait in the queue whatever happens: say so)
    "printer_ok": {"fr": "Imprimante prête.", "nl": "Printer klaar.", "en": "Printer ready."},
    "printer_paper_low": {
        "fr": "Le rouleau de papier arrive à sa fin : préparez-en un nouveau.",
        "nl": "De papierrol is bijna op: leg een nieuwe klaar.",
        "en": "The paper roll is nearly finished: get a new one ready."},
    "printer_offline": {
        "fr": "L'imprimante ne répond pas ({where}) : vérifiez qu'elle est allumée et branchée."
              " Les tickets attendent et sortiront à son retour.",
        "nl": "De printer antwoordt niet ({where}): controleer of hij aanstaat en aangesloten is."
              " De tickets wachten en komen eruit zodra hij terug is.",
        "en": "The printer does not answer ({where}): check that it is on and plugged in."
              " Receipts wait and will print when it is back."},
    "printer_paper_out": {
        "fr": "L'imprimante n'a plus de papier : mettez un nouveau rouleau. Les tickets attendent.",
        "nl": "De printer heeft geen papier meer: leg een nieuwe rol in. De tickets wachten.",
        "en": "The printer is out of paper: put in a new roll. Receipts are waiting."},
    "printer_cover_open": {
        "fr": "Le capot de l'imprimante est ouvert : refermez-le bien. Les tickets attendent.",
        "nl": "Het deksel van de printer staat open: sluit het goed. De tickets wachten.",
        "en": "The printer's cover is open: close it firmly. Receipts are waiting."},
    "printer_error": {
        "fr": "L'imprimante signale une erreur ({detail}) : éteignez-la puis rallumez-la."
              " Les tickets attendent.",
        "nl": "De printer meldt een fout ({detail}): zet hem uit en weer aan. De tickets wachten.",
        "en": "The printer reports an error ({detail}): switch it off and on again."
              " Receipts are waiting."},
    "printer_folder": {
        "fr": "Impossible d'écrire les tickets dans le dossier {where} ({detail}).",
        "nl": "Kan de tickets niet in map {where} schrijven ({detail}).",
        "en": "Cannot write receipts into the folder {where} ({detail})."},
    "printer_none": {
        "fr": "Aucune imprimante configurée ([printer] backend = \"none\") : rien ne s'imprime.",
        "nl": "Geen printer ingesteld ([printer] backend = \"none\"): er wordt niets afgedrukt.",
        "en": "No printer configured ([printer] backend = \"none\"): nothing is printed."},
    "printer_job_bad": {
        "fr": "Ticket n°{job} impossible à imprimer : {detail}",
        "nl": "Ticket nr. {job} kan niet afgedrukt worden: {detail}",
        "en": "Receipt job {job} cannot be printed: {detail}"},
    "printer_busy": {
        "fr": "Un autre programme de cette caisse imprime déjà : le ticket est dans sa file.",
        "nl": "Een ander programma van deze kassa drukt al af: het ticket staat in zijn wachtrij.",
        "en": "Another program of this terminal is already printing: the receipt is in its queue."},
    "nothing_to_reprint": {
        "fr": "Rien à réimprimer : aucune vente enregistrée sur cette caisse.",
        "nl": "Niets om opnieuw af te drukken: nog geen verkoop op deze kassa.",
        "en": "Nothing to reprint: no sale on this terminal yet."},
    # generic carriers (detail already worded)
    "config_error": {"fr": "Configuration invalide : {detail}", "nl": "Ongeldige configuratie: {detail}",
                     "en": "Invalid configuration: {detail}"},
    "import_error": {"fr": "Import refusé, rien n'a été modifié : {detail}",
                     "nl": "Import geweigerd, niets gewijzigd: {detail}",
                     "en": "Import refused, nothing was changed: {detail}"},
    "usage": {"fr": "{detail}", "nl": "{detail}", "en": "{detail}"},
}


def render(code: str, params: dict, lang: str = "fr") -> str:
    texts = CATALOGUE.get(code)
    if texts is None:
        return f"{code}: {params}" if params else code
    text = texts.get(lang) or texts["fr"]
    values = {k: (format_cents(v, lang) if k.endswith("_cents") and isinstance(v, int) else
                  ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
              for k, v in params.items()}
    try:
        return text.format(**values)
    except KeyError:
        return text
