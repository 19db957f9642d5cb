"""The back-off schedule of failed queue messages, and the redrive policy it is sized for."""

import pytest

from scrm import queues


@pytest.mark.parametrize("count,delay", [(None, 30), ("x", 30), (0, 30), (1, 30), (2, 120), (3, 480), (4, 1920),
                                         (5, 3600), (50, 3600), (10**9, 3600)])
def test_retry_delay_grows_and_is_capped(count, delay):
    assert queues.retry_delay(count) == delay


def test_a_failing_effect_is_retried_for_well_over_half_an_hour_before_the_dlq():
    span = sum(queues.retry_delay(n) for n in range(1, queues.MAX_RECEIVE_COUNT + 1))
    assert span == 6150  # 1 h 42 min; a 30-minute WeChat outage no longer ends in the DLQ


def test_the_deployed_redrive_policy_matches():
    from infra.template import MAX_RECEIVE_COUNT

    assert MAX_RECEIVE_COUNT == queues.MAX_RECEIVE_COUNT
