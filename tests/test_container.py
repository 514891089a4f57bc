"""The container image, built and run where a container engine answers (skipped elsewhere):
it answers in Telegram from its first second, runs as a non-root user, passes its own health
check, stops cleanly, and without a token is the terminal chat."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid

import pytest

from tests.conftest import ROOT
from tests.fake_bot_api import TOKEN, FakeBotApi

IMAGE = "erasmus-assistant:test"


def docker(*args: str, timeout: float = 60, stdin: str | None = None, check: bool = True) -> str:
    """The output (stdout, then stderr) of one docker command; it must succeed unless told."""
    done = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )
    assert done.returncode == 0 or not check, f"docker {' '.join(args)}:\n{done.stderr}"[-3000:]
    return done.stdout + done.stderr


def _engine_reason() -> str | None:
    """Why the image cannot be built here, or None when it can."""
    if shutil.which("docker") is None:
        return "no container engine (docker) on PATH"
    info = subprocess.run(
        ["docker", "info"], capture_output=True, text=True, timeout=30, check=False
    )
    if info.returncode != 0:
        return "the docker daemon does not answer (docker info failed)"
    base = next(
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("FROM ")
    )
    inspect = subprocess.run(
        ["docker", "image", "inspect", base], capture_output=True, timeout=30, check=False
    )
    if inspect.returncode != 0:
        pull = subprocess.run(
            ["docker", "pull", "-q", base], capture_output=True, timeout=180, check=False
        )
        if pull.returncode != 0:
            return f"base image {base} neither present nor pullable (see container-build.sh)"
    return None


@pytest.fixture(scope="module")
def image() -> str:
    """The project's image, built from this checkout (layers cached by the engine)."""
    reason = _engine_reason()
    if reason is not None:
        print(f"container tests skipped: {reason}")
        pytest.skip(reason)
    docker("build", "--network=host", "-q", "-t", IMAGE, str(ROOT), timeout=1200)
    return IMAGE


def test_the_image_runs_as_a_non_root_user(image: str) -> None:
    """The bot's processes in the container are not root."""
    assert docker("run", "--rm", image, "id", "-u").strip() == "10001"


def test_without_a_token_the_image_is_the_terminal_chat(image: str) -> None:
    """`docker run -i IMAGE` with no token chats on standard input, from the baked cache."""
    output = docker("run", "-i", "--rm", image, stdin="what is the ECHE\n", timeout=120)
    assert "Traceback" not in output
    assert "ECHE" in output and "Sources:" in output


async def test_the_container_answers_telegram_and_stops_cleanly(image: str) -> None:
    """Against the fake Bot API the container answers a question with meaning ready from its
    baked cache, passes its own health check, and stops with exit code 0 on docker stop."""
    api = FakeBotApi()
    await api.start()
    name = f"erasmus-test-{uuid.uuid4().hex[:8]}"
    try:
        await asyncio.to_thread(
            docker, "run", "-d", "--name", name, "--network=host",
            "-e", f"TELEGRAM_BOT_TOKEN={TOKEN}", "-e", f"TELEGRAM_API_BASE_URL={api.base_url}",
            image,
        )  # fmt: skip
        api.push_message("what is the Erasmus Charter for Higher Education", user_id=7)
        (reply,) = await api.wait_for("sendMessage", chat_id=7, within=60)
        assert "Sources:" in reply.params["text"]
        health = await asyncio.to_thread(
            docker, "inspect", "-f", "{{json .Config.Healthcheck.Test}}", name
        )
        check = json.loads(health)
        assert check[0] == "CMD"
        await asyncio.to_thread(docker, "exec", name, *check[1:])
        await asyncio.to_thread(docker, "stop", "-t", "10", name, timeout=30)
        state = await asyncio.to_thread(docker, "inspect", "-f", "{{json .State}}", name)
        exit_code = json.loads(state)["ExitCode"]
        logs = await asyncio.to_thread(docker, "logs", name)
        assert exit_code == 0, logs[-2000:]
        assert "words and meaning" in logs and "stopped cleanly" in logs
        assert "Traceback" not in logs
    finally:
        await asyncio.to_thread(docker, "rm", "-f", name, check=False)
        await api.stop()


def _compose() -> list[str] | None:
    """The compose command of this engine: `docker compose` (v2) or `docker-compose` (v1)."""
    plugin = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
    )
    if plugin.returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_compose_needs_only_a_token(image: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """compose.yaml works without a .env file once a token is given, and without a token says
    in one line what to set."""
    command = _compose()
    if command is None:
        pytest.skip("no docker compose / docker-compose")
    compose = [*command, "-f", str(ROOT / "compose.yaml"), "--project-directory", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    refused = subprocess.run(
        [*compose, "config"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert refused.returncode != 0
    assert "set TELEGRAM_BOT_TOKEN in .env" in refused.stderr
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    config = subprocess.run(
        [*compose, "config"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert config.returncode == 0, config.stderr
    assert "bot-data:/data" in config.stdout and "BOT_REMINDER_DAYS: 7,1" in config.stdout
