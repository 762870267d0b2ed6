"""Run a deploy's check and reload commands: argv (a shell only when asked), a timeout, the tail of stderr."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass

TAIL_LINES = 5


@dataclass(frozen=True)
class CommandResult:
    """How a command ended: its exit code (None after a timeout or when it could not start) and what it said."""

    argv: tuple[str, ...]
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None  # could not start, or timed out

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def describe(self) -> str:
        """One line: what failed and the command's own last words."""
        name = self.argv[0] if self.argv else "command"
        said = " ".join(self.stderr.split()) or " ".join(self.stdout.split())
        if self.error:
            return f"{name}: {self.error}" + (f": {said}" if said else "")
        return f"{name} exited with {self.exit_code}" + (f": {said}" if said else "")


async def run_command(argv: tuple[str, ...], shell: bool, env: dict[str, str], timeout: float) -> CommandResult:
    """Run ``argv`` with ``env``; after ``timeout`` seconds its whole process group is killed."""
    try:
        if shell:
            process = await asyncio.create_subprocess_shell(argv[0], env=env, stdin=asyncio.subprocess.DEVNULL,
                                                            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                            start_new_session=True)
        else:
            process = await asyncio.create_subprocess_exec(*argv, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                           stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                           start_new_session=True)
    except OSError as exc:
        return CommandResult(argv, None, error=f"cannot run: {exc.strerror or exc}")
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        _kill_group(process.pid)
        out, err = await process.communicate()
        return CommandResult(argv, None, _tail(out), _tail(err), error=f"killed after {timeout:g} s (timeout)")
    return CommandResult(argv, process.returncode, _tail(out), _tail(err))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return "\n".join(lines[-TAIL_LINES:])
