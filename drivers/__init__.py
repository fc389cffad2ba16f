"""Hardware behind small interfaces: badge readers and receipt printers (drivers issue)."""
