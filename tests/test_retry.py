"""Retrying with backoff (sync.common.retry), the one policy the sync agent and the print
worker share."""
import random

import pytest

from sync.common.retry import Backoff


class Scripted:
    """A fake random source that answers from a list and records the ranges it was asked."""

    def __init__(self, *answers: float):
        self.answers, self.asked = list(answers), []

    def uniform(self, low: float, high: float) -> float:
        self.asked.append((low, high))
        return self.answers.pop(0)


def test_grows_by_the_factor_up_to_the_cap():
    b = Backoff(base=0.5, factor=3.0, cap=10.0)
    assert [b.failed() for _ in range(5)] == [0.5, 1.5, 4.5, 10.0, 10.0]
    assert b.failures == 5


def test_a_success_starts_again_from_the_base():
    b = Backoff(base=1.0, cap=30.0)
    for _ in range(4):
        b.failed()
    b.succeeded()
    assert b.failures == 0
    assert b.failed() == 1.0


def test_jitter_multiplies_by_a_draw_in_the_band():
    rng = Scripted(0.5, 1.5, 1.0)
    b = Backoff(base=1.0, cap=300.0, jitter=0.5, rng=rng)
    assert [b.failed(), b.failed(), b.failed()] == [0.5, 3.0, 4.0]
    assert rng.asked == [(0.5, 1.5)] * 3


def test_jitter_stays_in_its_band_over_many_draws():
    b = Backoff(base=1.0, factor=2.0, cap=300.0, jitter=0.5, rng=random.Random(7))
    for n in range(1, 40):
        pause = b.failed()
        nominal = b.delay(n)
        assert 0.5 * nominal <= pause <= 1.5 * nominal
    assert b.delay(39) == 300.0


def test_the_cap_holds_after_very_many_failures():
    b = Backoff(base=1.0, factor=2.0, cap=30.0)
    assert b.delay(10_000) == 30.0            # no float overflow on 2 ** 10000
    assert b.delay(0) == 0.0


def test_the_sync_agent_and_the_print_worker_keep_their_curves(tmp_path):
    """The agent: 1 s doubling to 5 min, ±50 %; the worker: its (base, cap), no jitter."""
    from kiosk.config import TerminalConfig
    from kiosk.print_worker import PrintWorker
    from sync.agent import Agent
    agent = Agent(store=None, client=None)
    assert (agent.backoff.base, agent.backoff.factor, agent.backoff.cap,
            agent.backoff.jitter) == (1.0, 2.0, 300.0, 0.5)
    worker = PrintWorker(tmp_path / "comptoir.db", TerminalConfig(), None, backoff=(0.05, 0.2))
    assert [worker.backoff.failed() for _ in range(4)] == [0.05, 0.1, 0.2, 0.2]


@pytest.mark.parametrize("bad", [dict(base=0), dict(factor=0.5), dict(base=5, cap=1),
                                 dict(jitter=1.0), dict(jitter=-0.1)])
def test_nonsense_settings_are_refused(bad):
    with pytest.raises(ValueError):
        Backoff(**bad)
