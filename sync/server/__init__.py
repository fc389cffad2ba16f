"""The platform: the reference central server (``sync.protocol`` for terminals, admin
reports and ledger for the school's office).

Layers, each importing only those below it (``tests/layers.py`` checks there is no cycle):

- ``errors``, ``text``, ``schema``: the refusal type, text folding, the tables' DDL;
- ``backends`` (SQLite or PostgreSQL) under ``database.Database``, the public interface every
  other module uses (transactions, statements, change versions, the cursor epoch, the clock);
- ``schools`` (schools and their settings, the school's time zone), ``entities`` (the
  DataSet a school loads), ``devices`` (enrolment, terminal tokens, version and last
  sighting), ``admins`` (admin tokens), ``bank_statement``, ``ledger`` (money), ``roster``,
  ``push``, ``pull``, ``sales_journal``;
- ``storage.CentralStore``: the database with every operation as a method;
- ``reports`` and ``ledger_api`` (the admins' answer models), ``api`` (one FastAPI router per
  area), ``app`` (assembles them), ``cli`` (the ``comptoir central`` commands).
"""
