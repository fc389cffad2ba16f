"""The reference central server: enrolment, journal push, change pull (``sync.protocol``).

``storage`` holds the schema and every SQL statement (SQLite today, written so that a
PostgreSQL backend can follow), ``app`` the HTTP layer, ``cli`` the ``comptoir central``
commands."""
