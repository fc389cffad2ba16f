"""A realistic demo school: about 800 students in classes 1A…6D, 4- and 7-byte badge UIDs, one
wallet each (balances from negative to comfortable), canteen and reception articles, a few
operators and today's sandwich reservations. Deterministic for a given seed.

The first students are hand-made cases the demo, the tests and the touch UI's badge panel use
(``DEMO_BADGES``). Demo PINs are public: never import demo data into a real terminal.

Pure data: it imports nothing of the terminal, so that the platform's ``comptoir central
demo-data`` can load it (the one crossing tests/layers.py allows). ``generate`` gives the
document a ``comptoir import`` file holds, in the shape of ``sync.models.DataSet``.
"""
from __future__ import annotations

import random
from datetime import date
from typing import Any

from argon2 import PasswordHasher

from sync.common.communications import structured_communication

DEMO_PINS = {"Marie": "1234", "Luc": "5678", "Admin": "9999"}
DEMO_ROLES = {"Marie": "seller", "Luc": "supervisor", "Admin": "admin"}
# The terminal's PIN hashing parameters (kiosk.operators: Argon2id, OWASP), so that a demo
# operator's first login does not rehash its PIN.
_PIN_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

class Badge:
    """The hand-made demo badges, by who holds them."""
    EMMA = "04A1B2C3"                 # 25,00 €
    NOAH = "04112233445566"           # balance 0 (7-byte UID)
    LINA = "04C0FFEE"                 # gluten flag
    LUCAS_BLOCKED = "04DEAD01"        # badge blocked
    CHLOE = "04BEEF02"                # daily limit 3 €, drinks blocked by the parents
    ADAM = "04778899AABBCC"           # balance -2,30 €
    ZOE_NO_WALLET = "04FACE03"
    LOUIS_RESERVED = "04CAFE04"       # a cheese sandwich reserved for the day
    UNKNOWN = "05000000"


# uid -> what that badge shows off (the touch UI's demo panel)
DEMO_BADGES = {
    "04A1B2C3": "Emma Dubois (1A): 25,00 €",
    "04112233445566": "Noah Peeters (1A): solde 0 €",
    "04C0FFEE": "Lina El Amrani (2B): allergie gluten",
    "04DEAD01": "Lucas Janssens (3C): badge bloqué",
    "04BEEF02": "Chloé Lambert (4D): limite 3 €/jour, boissons bloquées",
    "04778899AABBCC": "Adam Claes (5A): solde −2,30 €",
    "04FACE03": "Zoé Martin (6B): pas de portefeuille",
    "04CAFE04": "Louis Dupont (2A): sandwich réservé",
    "05000000": "(badge inconnu)",
}

def _category(code, fr, nl, en):
    return {"code": code, "name": {"fr": fr, "nl": nl, "en": en}}


CATEGORIES = [
    _category("soup", "Potage", "Soep", "Soup"),
    _category("sandwich", "Sandwichs", "Broodjes", "Sandwiches"),
    _category("drink", "Boissons", "Dranken", "Drinks"),
    _category("snack", "Collations", "Tussendoortjes", "Snacks"),
    _category("photocopy", "Photocopies", "Kopieën", "Photocopies"),
    _category("shop", "Accueil", "Onthaal", "Reception"),
]


def _article(code, fr, nl, en, price, category, allergens=(), profiles=("canteen",),
             reservable=False):
    return {"code": code, "name": {"fr": fr, "nl": nl, "en": en}, "price_cents": price,
            "category": category, "allergens": list(allergens), "profiles": list(profiles),
            "reservable": reservable, "active": True}


ARTICLES = [
    _article("SOUP", "Potage et pain", "Soep met brood", "Soup and bread", 100, "soup",
             ["gluten", "celery"]),
    _article("SANDW-HAM", "Sandwich jambon", "Broodje ham", "Ham sandwich", 300, "sandwich",
             ["gluten", "pork"], reservable=True),
    _article("SANDW-CHEESE", "Sandwich fromage", "Broodje kaas", "Cheese sandwich", 280,
             "sandwich", ["gluten", "milk"], reservable=True),
    _article("SANDW-TUNA", "Sandwich thon", "Broodje tonijn", "Tuna sandwich", 320, "sandwich",
             ["gluten", "fish", "egg"], reservable=True),
    _article("SANDW-CHICKEN", "Sandwich poulet curry", "Broodje kip curry", "Chicken curry sandwich",
             320, "sandwich", ["gluten", "mustard"], reservable=True),
    _article("SANDW-VEG", "Sandwich végétarien", "Vegetarisch broodje", "Veggie sandwich", 290,
             "sandwich", ["gluten", "nuts"], reservable=True),
    _article("WATER", "Eau 50 cl", "Water 50 cl", "Water 50 cl", 80, "drink"),
    _article("JUICE", "Jus d'orange", "Sinaasappelsap", "Orange juice", 120, "drink"),
    _article("APPLE", "Pomme", "Appel", "Apple", 50, "snack"),
    _article("COPY-BW", "Photocopie noir et blanc", "Kopie zwart-wit", "Black & white copy", 10,
             "photocopy", profiles=["reception"]),
    _article("COPY-COLOUR", "Photocopie couleur", "Kleurenkopie", "Colour copy", 50, "photocopy",
             profiles=["reception"]),
    _article("TSHIRT", "T-shirt de l'école", "Schoolt-shirt", "School T-shirt", 1200, "shop",
             profiles=["reception"]),
    _article("LOCKER", "Location casier (année)", "Huur locker (jaar)", "Locker rental (year)",
             1500, "shop", profiles=["reception"]),
]
SANDWICHES = [a["code"] for a in ARTICLES if a["reservable"]]

FIRST = ["Emma", "Louise", "Olivia", "Alice", "Mila", "Juliette", "Lina", "Chloé", "Léa", "Zoé",
         "Nora", "Inès", "Elena", "Sofia", "Anna", "Camille", "Lucie", "Jade", "Sarah", "Yasmine",
         "Noah", "Arthur", "Louis", "Jules", "Adam", "Liam", "Gabriel", "Lucas", "Victor", "Mohamed",
         "Nathan", "Hugo", "Théo", "Sacha", "Eden", "Tom", "Elias", "Rayan", "Matteo", "Wout"]
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
        "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent",
        "Leroy", "Renard", "Lejeune", "Hermans", "El Amrani", "Benali", "Diallo", "Nowak",
        "Rossi", "Fontaine", "Delvaux", "Collignon", "Lemaire", "Michel", "Vandenberghe", "Pirson"]
CLASSES = [f"{year}{letter}" for year in range(1, 7) for letter in "ABCD"]
FLAGS = ["gluten", "pork", "nuts", "milk", "fish", "egg"]


def _special_students():
    """(student fields, badge uid or None, badge status, wallet balance or None)"""
    def s(i, first, last, cls, **extra):
        return {"id": f"S{i:05d}", "first_name": first, "last_name": last, "class_name": cls,
                "photo_ref": f"photos/S{i:05d}.jpg", **extra}
    return [
        (s(1, "Emma", "Dubois", "1A"), "04A1B2C3", "active", 2500),
        (s(2, "Noah", "Peeters", "1A"), "04112233445566", "active", 0),
        (s(3, "Lina", "El Amrani", "2B", flags=["gluten"]), "04C0FFEE", "active", 1500),
        (s(4, "Lucas", "Janssens", "3C"), "04DEAD01", "blocked", 800),
        (s(5, "Chloé", "Lambert", "4D", daily_limit_cents=300, blocked_categories=["drink"]),
         "04BEEF02", "active", 2000),
        (s(6, "Adam", "Claes", "5A"), "04778899AABBCC", "active", -230),
        (s(7, "Zoé", "Martin", "6B"), "04FACE03", "active", None),
        (s(8, "Louis", "Dupont", "2A"), "04CAFE04", "active", 1000),
    ]


def generate(students: int = 800, day: date | None = None, seed: int = 2026,
             operators: bool = True) -> dict:
    """The demo school as a ``comptoir import`` document (``sync.models.DataSet`` shape)."""
    rng = random.Random(seed)
    day = day or date.today()
    data: dict[str, Any] = {"format": "comptoir-data/1", "categories": CATEGORIES, "articles": ARTICLES,
            "students": [], "badges": [], "wallets": [], "operators": [], "reservations": []}
    used_uids = set(DEMO_BADGES)

    def add_wallet(student_id: str, number: int, balance: int) -> None:
        data["wallets"].append({
            "id": f"W{number:05d}", "student_id": student_id, "kind": "main",
            "name": "Portefeuille", "structured_communication": structured_communication(
                250_000_000 + number), "is_default": True, "balance_cents": balance,
            "included_seq": 0})

    specials = _special_students()[:students]
    for number, (student, uid, status, balance) in enumerate(specials, start=1):
        data["students"].append(student)
        data["badges"].append({"uid": uid, "student_id": student["id"], "status": status})
        if balance is not None:
            add_wallet(student["id"], number, balance)
    for number in range(len(specials) + 1, students + 1):
        sid = f"S{number:05d}"
        student = {"id": sid, "first_name": rng.choice(FIRST), "last_name": rng.choice(LAST),
                   "class_name": CLASSES[(number * 7) % len(CLASSES)],
                   "photo_ref": f"photos/{sid}.jpg" if rng.random() < 0.7 else None}
        if rng.random() < 0.06:
            student["flags"] = rng.sample(FLAGS, rng.choice((1, 1, 2)))
        if rng.random() < 0.04:
            student["daily_limit_cents"] = rng.choice((300, 500, 800))
        if rng.random() < 0.03:
            student["blocked_categories"] = ["drink"]
        data["students"].append(student)
        while True:
            size = 4 if rng.random() < 0.5 else 7
            uid = (bytes([0x04]) + rng.randbytes(size - 1)).hex().upper()
            if uid not in used_uids:
                used_uids.add(uid)
                break
        data["badges"].append({"uid": uid, "student_id": sid,
                               "status": "blocked" if rng.random() < 0.01 else "active"})
        roll = rng.random()
        balance = (0 if roll < 0.05 else -rng.randrange(10, 500) if roll < 0.10
                   else rng.randrange(100, 5000))
        add_wallet(sid, number, balance)
        if rng.random() < 0.18:
            data["reservations"].append({
                "id": f"R{day:%Y%m%d}-{number:05d}", "day": day.isoformat(), "student_id": sid,
                "article_code": rng.choice(SANDWICHES), "quantity": 1 if rng.random() < 0.9 else 2,
                "status": "reserved"})
    if students >= 8:
        data["reservations"].append({"id": f"R{day:%Y%m%d}-00008", "day": day.isoformat(),
                                     "student_id": "S00008", "article_code": "SANDW-CHEESE",
                                     "quantity": 1, "status": "reserved"})
    if operators:
        data["operators"] = [{"id": f"op-{name.lower()}", "name": name, "role": DEMO_ROLES[name],
                              "pin_hash": _PIN_HASHER.hash(pin)} for name, pin in DEMO_PINS.items()]
    return data
