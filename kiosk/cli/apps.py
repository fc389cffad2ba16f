"""The commands that start something bigger: the demo school as an import file, the touch app
(and its scripted demo walk). The demo tooling is imported here and only here."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.cli.base import Context, _, write_atomically


def cmd_demo_data(ctx: Context) -> None:
    from kiosk.demo.school import generate
    from sync.common.clock import SystemClock, business_day
    today = business_day(SystemClock().now(), ctx.config.tz)     # reservations are for today
    text = json.dumps(generate(ctx.args.students, day=today, seed=ctx.args.seed),
                      ensure_ascii=False, indent=1)
    if ctx.args.output:
        write_atomically(Path(ctx.args.output), text)
        ctx.out(_("Demo school ({count} students) written to {path}").format(
            count=ctx.args.students, path=ctx.args.output))
    else:
        ctx.out(text)


def cmd_ui(ctx: Context) -> None:
    if ctx.args.scenario:
        from kiosk.demo.scenario import run_scenario
        code = run_scenario(ctx.folder, Path(ctx.args.scenario))
        if code:
            raise SystemExit(code)
        return
    from kiosk.demo.launch import run
    if ctx.args.demo:
        from kiosk.demo.folder import make_demo_folder
        profile = ctx.args.profile or "canteen"
        if make_demo_folder(ctx.folder, profile):
            print(_("Demo school made in {folder} ({profile} terminal)").format(
                folder=ctx.folder, profile=profile), file=sys.stderr)
    run(ctx.folder, demo=ctx.args.demo, self_service=ctx.args.self_service,
        fullscreen=ctx.args.fullscreen, badge_panel=ctx.args.badge_panel, language=ctx.lang,
        window=ctx.args.window)
