#!/usr/bin/python3
"""bench/chat/wal_pages.py DATA_DIR: which tables and indexes own the frames of a stopped
server's WAL (DATA_DIR/relais.db-wal): the pages each send dirties, as written. Every frame in
the file counts, also those of earlier cycles (a WAL starts over from its beginning), so the
figures are a sample of the recent write load. Read-only: the database is copied to a
temporary file first (without its WAL) and the owners are read from its dbstat table."""
import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

data = sys.argv[1]
wal = open(os.path.join(data, "relais.db-wal"), "rb").read()
page_size = struct.unpack(">I", wal[8:12])[0]
frames, commits, off = [], 0, 32
while off + 24 + page_size <= len(wal):
    page, commit = struct.unpack(">II", wal[off:off + 8])
    frames.append(page)
    commits += commit != 0
    off += 24 + page_size
with tempfile.TemporaryDirectory() as tmp:
    copy = os.path.join(tmp, "map.db")
    shutil.copy(os.path.join(data, "relais.db"), copy)
    owner = dict((p, n) for n, p in sqlite3.connect(copy).execute("SELECT name, pageno FROM dbstat"))
count = collections.Counter(owner.get(p, "?") for p in frames)
print(f"wal frames {len(frames)}, commits {commits}, page size {page_size}")
for name, n in count.most_common(20):
    print(f"{n:8d} {100 * n / max(len(frames), 1):5.1f}% {name}")
