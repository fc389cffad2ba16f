"""One router per area of the API (``main.api_router`` includes them all)."""
