"""Background jobs for long work (sweeps): progress, cancel, results, in memory.

A job runs a function in its own thread; the function receives a
:class:`JobControl` to report progress and to check whether it was
cancelled. The web app keeps the jobs of its lifetime here; stored runs (the
run store) are listed beside them when that engine is installed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Cancelled", "Job", "JobControl", "Jobs"]

Status = Literal["queued", "running", "done", "failed", "cancelled"]


class Cancelled(Exception):
    """Raised inside a job by :meth:`JobControl.step` once the job was cancelled."""


@dataclass
class Job:
    """One background job and what is known about it."""

    id: str
    kind: str
    label: str
    created: float = field(default_factory=time.time)
    status: Status = "queued"
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)

    def summary(self) -> dict[str, Any]:
        """JSON-ready state without the result."""
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "progress": (self.done / self.total) if self.total else 0.0,
            "created": self.created,
            "finished": self.finished,
            "error": self.error,
        }


class JobControl:
    """What a job's function sees: progress reporting and the cancel flag."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def start(self, total: int) -> None:
        """Declare how many steps the job has."""
        self._job.total = total

    def step(self, done: int) -> None:
        """Report progress; raises :class:`Cancelled` if the job was cancelled."""
        self._job.done = done
        if self._job.cancel_event.is_set():
            raise Cancelled


class Jobs:
    """The jobs of one app, with a limit on how many run at once."""

    def __init__(self, max_running: int = 2, keep: int = 50) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.max_running = max_running
        self.keep = keep

    def running(self) -> int:
        """Number of jobs queued or running."""
        with self._lock:
            return sum(j.status in ("queued", "running") for j in self._jobs.values())

    def submit(self, kind: str, label: str, work: Callable[[JobControl], Any]) -> Job | None:
        """Start a job; None when ``max_running`` jobs are already running."""
        with self._lock:
            if sum(j.status in ("queued", "running") for j in self._jobs.values()) >= (
                self.max_running
            ):
                return None
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, label=label)
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished is not None]
            for old in sorted(finished, key=lambda j: j.created)[
                : max(0, len(finished) - self.keep)
            ]:
                del self._jobs[old.id]
        thread = threading.Thread(target=self._run, args=(job, work), daemon=True)
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[JobControl], Any]) -> None:
        job.status = "running"
        try:
            job.result = work(JobControl(job))
            job.status = "done"
        except Cancelled:
            job.status = "cancelled"
        except Exception as error:  # reported to the client, never raised in a server thread
            job.status = "failed"
            job.error = f"{type(error).__name__}: {error}"
        job.finished = time.time()

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop at its next step."""
        job = self.get(job_id)
        if job is not None:
            job.cancel_event.set()
            if job.status == "queued":
                job.status = "cancelled"
        return job

    def all(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.created)
