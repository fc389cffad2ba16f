"""The reference central server: enrolment, journal push, change pull (``sync.protocol``).

``storage`` holds the schema and every SQL statement, ``backends`` what differs between a
SQLite file and a PostgreSQL database, ``app`` the HTTP layer, ``cli`` the ``comptoir central``
commands."""
