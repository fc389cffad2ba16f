"""The back office's tests through a real browser (issue 16): the fixtures are in conftest.py,
the helpers in ``platform.py`` (a live platform, schools with one staff member per role) and
``browser.py`` (Playwright on Debian's chromium, the axe-core audit, screenshots); each area's
rows of the role table in ``pages_<area>.py`` (``roles.Row``). See docs/web.md."""
