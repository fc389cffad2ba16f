"""What both ends of the sync protocol share, besides the protocol's models
(``sync.models``, ``sync.protocol``): the pure rules (money, the school's day, which wallet
pays, badge UIDs, the journal's chain hash, retries) and the errors people read.

Nothing here imports the terminal (``kiosk``), the platform (``sync.server``) or the drivers:
both ends import it, it imports neither.
"""
