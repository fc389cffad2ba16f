"""Both ends of the sync protocol: the shared data models (``sync.models``), the terminal's
agent and the reference central server (the latter two come with the sync issue)."""
