#!/usr/bin/env python3
"""Deterministic benchmark tree (called by gen-tree.sh).

    gen_tree.py DIR [SCALE] [SEED]

At SCALE 1.0:
  photos/   ~400 incompressible files of 2-8 MB (~2 GB), bytes from AES-256-CTR
            (openssl on /dev/zero with a fixed key: fast and deterministic)
  small/    20,000 files of 1-16 KB in nested folders, half text, half binary
  text/     ~500 MB of compressible logs and JSON lines

SCALE multiplies every count (and the text volume). Same SCALE and SEED give
the same bytes, names and mtimes on every machine.
"""
import os
import random
import subprocess
import sys

MIB = 1024 * 1024
FIXED_MTIME = 1_700_000_000  # 2023-11-14, so reruns of the generator look unchanged

WORDS = (
    "the quick brown fox jumps over lazy dog stack backup volume postgres immich umami "
    "photo album asset thumbnail request session user login error warning info debug "
    "cache upload download worker queue job retry timeout connection database index "
    "table row column value snapshot restore repository chunk pack blob key lock"
).split()
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
PATHS = ["/api/assets", "/api/albums", "/api/users/me", "/api/send", "/script.js",
         "/api/websites/stats", "/api/server/ping", "/auth/login", "/share/abc"]


class CipherStream:
    """An AES-256-CTR keystream read from openssl: a deterministic, fast byte source."""

    def __init__(self, seed: int):
        key = f"{seed:064x}"[-64:]
        self.proc = subprocess.Popen(
            ["openssl", "enc", "-aes-256-ctr", "-nosalt", "-K", key, "-iv", "0" * 32,
             "-in", "/dev/zero"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def read(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            part = self.proc.stdout.read(n - len(out))
            if not part:
                raise RuntimeError("openssl keystream ended early")
            out += part
        return bytes(out)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def write(path: str, data: bytes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def text_blob(rng: random.Random, size: int) -> bytes:
    parts, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + "\n"
        parts.append(line)
        n += len(line)
    return "".join(parts).encode()[:size]


def log_lines(rng: random.Random, size: int, day: int) -> bytes:
    parts, n, t = [], 0, day * 86400
    while n < size:
        t += rng.randint(0, 3)
        hh, mm, ss = (t // 3600) % 24, (t // 60) % 60, t % 60
        line = (f"2024-03-{day % 28 + 1:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{rng.randint(0, 999):03d}Z "
                f"{rng.choice(LEVELS):5s} [{rng.choice(WORDS)}] {rng.choice(PATHS)} "
                f"status={rng.choice((200, 200, 200, 204, 304, 404, 500))} "
                f"ms={rng.randint(1, 900)} req={rng.getrandbits(64):016x} "
                + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + "\n")
        parts.append(line)
        n += len(line)
    return "".join(parts).encode()[:size]


def json_lines(rng: random.Random, size: int) -> bytes:
    parts, n = [], 0
    while n < size:
        line = ('{"id":"%08x-%04x-4%03x-8%03x-%012x","website_id":"%s","session":%d,'
                '"url":"%s","referrer":"%s","event":"%s","created_at":"2024-03-%02dT%02d:%02d:00Z",'
                '"props":{"w":%d,"h":%d,"lang":"%s"}}\n') % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(12),
            rng.getrandbits(48), rng.choice(("a1", "b2", "c3")), rng.randint(1, 50000),
            rng.choice(PATHS), rng.choice(("", "https://example.org/", "https://news.ycombinator.com/")),
            rng.choice(("pageview", "click", "signup")), rng.randint(1, 28), rng.randint(0, 23),
            rng.randint(0, 59), rng.choice((1920, 1440, 390)), rng.choice((1080, 900, 844)),
            rng.choice(("en", "de", "fr")))
        parts.append(line)
        n += len(line)
    return "".join(parts).encode()[:size]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_tree.py DIR [SCALE] [SEED]")
    root = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    rng = random.Random(seed)
    stream = CipherStream(seed)
    totals = {"photos": [0, 0], "small": [0, 0], "text": [0, 0]}
    try:
        # Photos: ~400 files averaging 5 MiB.
        for i in range(max(1, round(400 * scale))):
            size = rng.randint(2 * MIB, 8 * MIB)
            path = os.path.join(root, "photos", f"{2019 + i % 5}", f"{i % 12 + 1:02d}", f"IMG_{i:05d}.jpg")
            write(path, stream.read(size))
            totals["photos"][0] += 1
            totals["photos"][1] += size
        # Small files: nested 3 levels, half text, half binary.
        for i in range(max(1, round(20000 * scale))):
            size = rng.randint(1024, 16 * 1024)
            d1, d2 = rng.randint(0, 19), rng.randint(0, 24)
            if i % 2 == 0:
                name, data = f"note_{i:06d}.txt", text_blob(rng, size)
            else:
                name, data = f"blob_{i:06d}.bin", stream.read(size)
            write(os.path.join(root, "small", f"d{d1:02d}", f"e{d2:02d}", name), data)
            totals["small"][0] += 1
            totals["small"][1] += size
        # Compressible text: ~500 MB in 10-30 MB files, logs and JSON lines alternating.
        target, day = int(500 * 1000 * 1000 * scale), 0
        while totals["text"][1] < target:
            size = min(rng.randint(10 * MIB, 30 * MIB), max(MIB, target - totals["text"][1]))
            if day % 2 == 0:
                path, data = os.path.join(root, "text", "logs", f"app-{day:03d}.log"), log_lines(rng, size, day)
            else:
                path, data = os.path.join(root, "text", "events", f"events-{day:03d}.jsonl"), json_lines(rng, size)
            write(path, data)
            totals["text"][0] += 1
            totals["text"][1] += size
            day += 1
    finally:
        stream.close()
    for top, (count, size) in totals.items():
        print(f"gen-tree: {top:7s} {count:6d} files {size / 1e6:9.1f} MB")


if __name__ == "__main__":
    main()
