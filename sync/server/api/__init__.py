"""The platform's HTTP API, in the shape of FastAPI's full-stack template: ``deps`` (what a
route needs: the store, the terminal or the admin behind the token, the school), one router
per area under ``routes`` (the terminal protocol, the admins' reports, the ledger and roster,
the API's own description), assembled by ``main.api_router``; ``http`` says how answers and
refusals are written and ``middleware`` guards request bodies and unexpected failures."""
