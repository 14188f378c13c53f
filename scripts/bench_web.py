"""Benchmark of the web channel: N signed-in cadres practising at once over HTTP on 127.0.0.1.

Starts `python -m bot web` as its own process on a fresh database with an invented roster of N people, signs each
in through their invite link, starts /practice, then each answers questions as a person would: reads the chat
page, taps an option (or types a fill-in answer), waits a think time, and again. Every HTTP request's latency is
measured at the client (the POST of an answer and the GET of the page it redirects to count as two requests).

    .venv/bin/python scripts/bench_web.py [--sessions 200] [--answers 10] [--think 3.0]

Last line: ``sessions=N requests_per_s=… p99_ms=…`` (requests during the practising phase).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ROLES = ["村党组织书记", "驻村第一书记", "驻村干部", "帮扶联系人", "乡镇主要领导"]
BUTTON_RE = re.compile(r'name="button" value="([^"]*)">\s*<input type="hidden" name="label" value="([^"]*)"')
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_roster(folder: Path, n: int) -> Path:
    """An invented roster of ``n`` people in two towns and ten villages."""
    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "角色", "镇", "村"])
        for i in range(n):
            w.writerow([f"测试人员{i:04d}", ROLES[i % len(ROLES)], ["甲镇", "乙镇"][i % 2], f"第{i % 10}村"])
    return path


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timer:
    def __init__(self) -> None:
        self.samples: list[float] = []
        self.recording = False

    async def request(self, client: httpx.AsyncClient, method: str, url: str, **kw) -> httpx.Response:
        start = time.perf_counter()
        response = await client.request(method, url, **kw)
        if self.recording:
            self.samples.append(time.perf_counter() - start)
        if response.status_code >= 500:
            raise RuntimeError(f"{method} {url}: {response.status_code}")
        return response


async def cadre(base: str, code: str, timer: Timer, answers: int, think: float, ready: asyncio.Barrier,
                rng: random.Random) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await timer.request(client, "GET", f"/i/{code}")
        await timer.request(client, "POST", f"/i/{code}", data={"csrf": CSRF_RE.search(page.text).group(1)})
        page = await timer.request(client, "GET", "/chat")
        await timer.request(client, "POST", "/chat", data={"csrf": CSRF_RE.search(page.text).group(1),
                                                            "text": "/practice"})
        await ready.wait()
        done = 0
        for _ in range(answers):
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            page = await timer.request(client, "GET", "/chat")
            token = CSRF_RE.search(page.text).group(1)
            buttons = [(unescape(label), unescape(data)) for data, label in BUTTON_RE.findall(page.text)]
            if buttons:
                label, data = rng.choice([b for b in buttons if "提交" not in b[0]] or buttons)
                form = {"csrf": token, "button": data, "label": label}
            else:
                form = {"csrf": token, "text": rng.choice(["30%", "0.5%", "10月28日", "5年"])}
            response = await timer.request(client, "POST", "/chat", data=form)
            if response.status_code != 303:
                raise RuntimeError(f"answer refused: {response.status_code}")
            done += 1
        return done


async def run(base: str, codes: list[str], answers: int, think: float) -> tuple[Timer, float, int]:
    timer = Timer()
    ready = asyncio.Barrier(len(codes) + 1)
    rng = random.Random(7)
    tasks = [asyncio.create_task(cadre(base, code, timer, answers, think, ready, random.Random(rng.random())))
             for code in codes]
    await ready.wait()
    timer.recording = True
    start = time.perf_counter()
    done = sum(await asyncio.gather(*tasks))
    return timer, time.perf_counter() - start, done


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=200, help="cadres practising at once (default 200)")
    p.add_argument("--answers", type=int, default=10, help="answers per cadre (default 10)")
    p.add_argument("--think", type=float, default=3.0,
                   help="mean seconds between a page and the next tap, uniform in [0.5, 1.5] × this (default 3.0)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "SHUXI_DB": str(folder / "bench.db"), "SHUXI_WEB_SECRET": "bench-" + "k" * 40,
               "SHUXI_COORDINATORS": "cli:bench=city"}
        py = [sys.executable, "-m", "bot"]
        subprocess.run(py + ["roster", "import", str(make_roster(folder, args.sessions))], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        lines = subprocess.run(py + ["roster", "invites", "--web-base", "http://x"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout.splitlines()[1:]
        codes = [line.rsplit("/i/", 1)[1] for line in lines]
        port = free_port()
        server = subprocess.Popen(py + ["web", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cpu_before = server_cpu_s(server.pid)
            timer, seconds, done = asyncio.run(run(base, codes, args.answers, args.think))
            cpu = server_cpu_s(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(10)
    samples = sorted(timer.samples)
    p50 = samples[len(samples) // 2] * 1000
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
    print(f"answers={done} requests={len(samples)} seconds={seconds:.1f} think_s={args.think} p50_ms={p50:.1f} "
          f"max_ms={samples[-1] * 1000:.1f} server_cpu_ms_per_request={cpu * 1000 / len(samples):.2f} "
          f"load_avg={os.getloadavg()[0]:.1f}")
    print(f"sessions={len(codes)} requests_per_s={len(samples) / seconds:.1f} p99_ms={p99:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
