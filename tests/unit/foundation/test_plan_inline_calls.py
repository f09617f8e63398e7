"""The plan's monitor answers inline: no executor threads, the SDK's own serializer run to its end, and the
resources listed in the order the program registers them, the same on every run."""

from __future__ import annotations

import asyncio
import textwrap
import threading

import pytest

from modelyard.planning.engine import plan_program
from modelyard.planning.inline_calls import CallWouldWait, InlineExecutor, run_to_end

MANY_RESOURCES = """
    import pulumi
    import pulumi_aws as aws

    buckets = [aws.s3.Bucket(f"bucket-{index}") for index in range(25)]
    for index, bucket in enumerate(buckets):
        aws.s3.BucketPolicy(f"policy-{index}", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: "{}"))
    pulumi.export("last", buckets[-1].bucket)
"""


def test_run_to_end_returns_what_a_coroutine_that_never_waits_returns():
    async def plain():
        return {"answer": 42}

    assert run_to_end(plain()) == {"answer": 42}


class _Pending:
    """An awaitable that suspends once, as awaiting an Output that is not resolved yet would."""

    def __await__(self):
        yield None


def test_run_to_end_refuses_a_coroutine_that_waits():
    async def waits():
        await _Pending()

    with pytest.raises(CallWouldWait):
        run_to_end(waits())


def test_the_inline_executor_answers_on_the_loops_thread_with_a_done_future():
    async def call_through_executor():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(InlineExecutor(max_workers=1))
        future = loop.run_in_executor(None, threading.current_thread)
        assert future.done()
        return await future

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(call_through_executor()) is threading.current_thread()
    finally:
        loop.close()


def test_the_inline_executor_hands_an_error_to_the_awaiting_code():
    async def failing_call():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(InlineExecutor(max_workers=1))
        return await loop.run_in_executor(None, lambda: 1 / 0)

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ZeroDivisionError):
            loop.run_until_complete(failing_call())
    finally:
        loop.close()


def test_a_plan_lists_resources_in_registration_order_on_every_run(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: ordered\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(MANY_RESOURCES))
    runs = [[resource.name for resource in plan_program(tmp_path, "dev").resources] for _ in range(3)]
    expected = [f"bucket-{index}" for index in range(25)] + [f"policy-{index}" for index in range(25)]
    assert runs == [expected] * 3


def test_a_plan_starts_no_thread_besides_its_own(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: threads\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(MANY_RESOURCES))
    started: list[str] = []
    original = threading.Thread.start

    def recording_start(thread):
        started.append(thread.name)
        return original(thread)

    threading.Thread.start = recording_start
    try:
        plan_program(tmp_path, "dev")
    finally:
        threading.Thread.start = original
    assert started == ["modelyard-plan-dev"]
