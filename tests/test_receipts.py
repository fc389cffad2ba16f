"""The sale and void receipts line by line (``kiosk.receipts``): what the student takes away
says who, when, what, the total or what was credited back, and each debited wallet's new
balance, in the terminal's language, with the printer's emphasis (bold, centred, double).

Each case pins what the mutation run (``make mutation``, docs/mutation.md) found unpinned: a
balance left out or shown for the wrong wallet, a photocopy receipt titled as a sale, a
reason printed when there is none."""
from __future__ import annotations

from datetime import datetime

from drivers.printer.document import Blank, Line
from kiosk import receipts

RULE32 = Line("-" * 32)


def test_sale_receipt_in_french_with_two_wallets():
    doc = receipts.sale_receipt(
        32, school="Institut Saint-Michel", terminal="Cantine 1", operator="Marie",
        when=datetime(2026, 11, 24, 12, 5), seq=17, student="Emma Dubois (1A)",
        lines=[{"qty": 2, "name": "Potage et pain", "total_cents": 200},
               {"qty": 1, "name": "Pomme", "total_cents": 50}],
        total_cents=250, balances=[("Portefeuille", 2250), ("Fournitures", -30)])
    assert doc.items == [
        Line("Institut", True, True, "center"),
        Line("Saint-Michel", True, True, "center"),
        Line("Cantine 1", align="center"),
        RULE32,
        Line("Ticket n°17", bold=True),
        Line("24/11/2026 12:05 Servi par Marie"),
        Line("Emma Dubois (1A)"),
        RULE32,
        Line("2 x Potage et pain        2,00 €"),
        Line("1 x Pomme                 0,50 €"),
        RULE32,
        Line("TOTAL                     2,50 €", bold=True),
        Line("Nouveau solde"),
        Line("Portefeuille             22,50 €"),
        Line("Nouveau solde"),
        Line("Fournitures              -0,30 €"),
        Blank(1),
        Line("Merci et bon appétit !", align="center"),
    ]


def test_photocopy_receipt_in_english_without_a_school_name():
    doc = receipts.sale_receipt(
        42, school="", terminal="Accueil", operator="Marie", when=datetime(2026, 11, 24, 9, 30),
        seq=5, student="Noah Peeters (1A)", lines=[{"qty": 12, "name": "Copie N/B", "total_cents": 120}],
        total_cents=120, balances=[("Portefeuille", 0)], kind="photocopy", lang="en")
    assert doc.text_lines() == [
        "Accueil", "-" * 42, "Copies 5", "24/11/2026 09:30           Served by Marie",
        "Noah Peeters (1A)", "-" * 42, "12 x Copie N/B                       €1.20", "-" * 42,
        "TOTAL                                €1.20", "New balance Portefeuille             €0.00",
        "", "Thank you, enjoy!"]


def test_void_receipt_in_dutch_with_its_reason():
    doc = receipts.void_receipt(
        32, school="", terminal="Accueil", operator="Luc", when=datetime(2026, 11, 24, 12, 6),
        seq=18, voided_seq=17, student="Emma Dubois (1A)",
        lines=[{"qty": 2, "name": "Potage et pain", "total_cents": 200}], credited_cents=200,
        reason="erreur", balances=[("Portefeuille", 2450)], lang="nl")
    assert doc.items == [
        Line("Accueil", align="center"),
        RULE32,
        Line("ANNULERING nr. 18", bold=True),
        Line("van verkoop nr. 17", bold=True),
        Line("24/11/2026"),
        Line("12:06           Bediend door Luc"),
        Line("Emma Dubois (1A)"),
        RULE32,
        Line("2 x Potage et pain       € -2,00"),
        RULE32,
        Line("Teruggestort              € 2,00", bold=True),
        Line("Reden: erreur"),
        Line("Nieuw saldo Portefeuille € 24,50"),
    ]


def test_void_receipt_without_a_reason_or_a_balance_in_english():
    doc = receipts.void_receipt(
        42, school="", terminal="Accueil", operator="Luc", when=datetime(2026, 11, 24, 9, 31),
        seq=6, voided_seq=5, student="Noah Peeters (1A)",
        lines=[{"qty": 12, "name": "Copie N/B", "total_cents": 120}], credited_cents=120,
        reason="", balances=[], lang="en")
    assert doc.text_lines() == [
        "Accueil", "-" * 42, "VOID 6", "of sale 5", "24/11/2026 09:31             Served by Luc",
        "Noah Peeters (1A)", "-" * 42, "12 x Copie N/B                      -€1.20", "-" * 42,
        "Credited back                        €1.20"]


def test_sale_receipt_in_dutch():
    doc = receipts.sale_receipt(
        32, school="", terminal="Cantine 1", operator="Marie", when=datetime(2026, 11, 24, 12, 5),
        seq=17, student="Emma Dubois (1A)", lines=[{"qty": 1, "name": "Soep", "total_cents": 100}],
        total_cents=100, balances=[("Portemonnee", 2400)], lang="nl")
    assert doc.text_lines() == [
        "Cantine 1", "-" * 32, "Ticket nr. 17", "24/11/2026", "12:05         Bediend door Marie",
        "Emma Dubois (1A)", "-" * 32, "1 x Soep                  € 1,00", "-" * 32,
        "TOTAAL                    € 1,00", "Nieuw saldo Portemonnee  € 24,00", "",
        "Dank je en smakelijk!"]


def test_void_receipt_in_french_by_default_with_the_school_name():
    doc = receipts.void_receipt(
        32, school="Institut Saint-Michel", terminal="Cantine 1", operator="Luc",
        when=datetime(2026, 11, 24, 12, 6), seq=18, voided_seq=17, student="Emma Dubois (1A)",
        lines=[{"qty": 1, "name": "Potage et pain", "total_cents": 100}], credited_cents=100,
        reason="", balances=[("Portefeuille", 2500)])
    assert doc.text_lines() == [
        "Institut", "Saint-Michel", "Cantine 1", "-" * 32, "ANNULATION n°18", "de la vente n°17",
        "24/11/2026 12:06   Servi par Luc", "Emma Dubois (1A)", "-" * 32,
        "1 x Potage et pain       -1,00 €", "-" * 32, "Recrédité                 1,00 €",
        "Nouveau solde", "Portefeuille             25,00 €"]
