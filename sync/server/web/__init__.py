"""The school's back office as web pages served by the platform (issue 16).

``templating`` (Jinja2 with gettext, the language of a request, ``render``), ``auth`` (the
session cookie and CSRF), ``flash`` (one-time messages), ``nav`` (the menu, by permission),
``pages/`` (one page router per area), ``site`` (what ``app.create_app`` installs: the pages'
router, the static files, and refusals as pages). Templates are under ``templates/<area>/``,
the stylesheet and any vendored script under ``static/``. The conventions: docs/web.md.
"""
