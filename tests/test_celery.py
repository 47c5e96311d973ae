"""Celery: tasks run in-process without Redis, and a real worker runs them with Redis."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery import Celery
from celery.result import allow_join_result
from django.conf import settings

from nodebyte_platform.celery import app, ping

BASE_DIR = Path(__file__).resolve().parent.parent
# A Redis database of its own, so the probe never meets the suite's or a developer's queues.
PROBE_REDIS_DB = 15


def probe_redis_url() -> str:
    return urlsplit(settings.REDIS_URL)._replace(path=f"/{PROBE_REDIS_DB}").geturl()


def test_a_task_runs_in_process_when_eager():
    # Without REDIS_URL the settings make this so (tests/test_settings.py); the suite forces it too.
    assert app.conf.task_always_eager is True
    # This process is no worker: waiting on a result is fine here, whatever an earlier test left
    # in Celery's process-wide "inside a worker" flag (seen once on CI, order-dependent).
    with allow_join_result():
        assert ping.delay().get(timeout=1) == "pong"


def test_every_task_accepts_json_only():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
def test_a_real_worker_runs_a_task_sent_through_redis(tmp_path):
    url = probe_redis_url()
    queue = f"probe-{uuid.uuid4().hex}"
    env = {**os.environ, "REDIS_URL": url, "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        _run_probe(url=url, queue=queue, env=env, log=log, log_path=log_path)


def _run_probe(*, url: str, queue: str, env: dict, log, log_path: Path) -> None:
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "nodebyte_platform",
            "--result-backend",
            url,
            "worker",
            "--queues",
            queue,
            "--pool",
            "solo",
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Celery("probe", broker=url, backend=url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")
    try:
        result = client.send_task("nodebyte_platform.ping", queue=queue)
        try:
            with allow_join_result():
                assert result.get(timeout=90) == "pong"
        except Exception:
            pytest.fail("the worker did not run the task; its log:\n" + log_path.read_text())
        assert "nodebyte_platform.ping" in log_path.read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        client.close()
