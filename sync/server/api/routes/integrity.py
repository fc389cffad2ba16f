"""The platform's integrity (``sync.server.integrity_api``): verify now, list the problems the
office must look at. Admin tokens only."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.server import integrity_api, problems, verify
from sync.server.api.deps import SchoolId, Store, admin_auth
from sync.server.api.http import ERRORS, json_answer
from sync.server.errors import say

router = APIRouter(tags=["integrity"], dependencies=[Depends(admin_auth)], responses=ERRORS)


@router.post(integrity_api.ADMIN_VERIFY, response_model=integrity_api.VerifyAnswer)
async def verify_now(store: Store, school_id: SchoolId,
                     lang: integrity_api.Lang = "en") -> Response:
    """Verify the school's stored journal, postings and balances now (as the nightly job)."""
    result = await run_in_threadpool(verify.verify, store, school_id, trigger="api")
    return json_answer(integrity_api.VerifyAnswer(
        school_id=school_id, verification_id=result.verification_id or 0,
        started_at=result.started_at, finished_at=result.finished_at, ok=result.ok,
        devices=result.devices, entries=result.entries, wallets=result.wallets,
        findings=[integrity_api.VerifyFinding(code=f.code, device_id=f.device_id, seq=f.seq,
                                              wallet_id=f.wallet_id,
                                              message=say(verify.describe(f), lang))
                  for f in result.findings]))


@router.get(integrity_api.ADMIN_PROBLEMS, response_model=integrity_api.ProblemList)
def problem_list(store: Store, school_id: SchoolId, lang: integrity_api.Lang = "en") -> Response:
    """Recorded conflicts, failed verifications, terminals that stopped syncing."""
    found = problems.problems(store, school_id)
    return json_answer(integrity_api.ProblemList(
        school_id=school_id,
        problems=[integrity_api.ProblemRow(**p.as_dict(lambda phrase: say(phrase, lang)))
                  for p in found]))
