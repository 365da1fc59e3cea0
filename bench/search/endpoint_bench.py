#!/usr/bin/python3
"""bench/search/endpoint_bench.py BIN [N] [QUERIES]: POST /search through the
real server over N messages (default 1,000,000).

1. `relais init` a data folder, start the server, register a searcher who
   creates 50 rooms and sends one message (the template), stop the server.
2. Fill the stopped server's database directly with sqlite3: N message
   events spread over 1,000 rooms (the searcher's 50 and 950 others; only
   the searcher's rooms exist as rooms, the others only as events), each
   event row a copy of the template with another body, and the search index
   rows the push worker would have written (event_search_v2). Bodies mix a
   French/German/English vocabulary, 20,000 rare words and "the" in half of
   the messages.
3. Start the server again, log in, and time POST /search (limit 10) for
   each kind of term, QUERIES (default 60) requests per kind and order:
   rare, common, very common, two words, accents, short prefix (a 4-letter
   prefix of 11,111 words), no match; SEARCH_BENCH_KINDS=a,b picks some. Prints
   p50/p99 wall time per request and the server's CPU time (user + system,
   /proc/PID/stat) per request, the figure the shared machine distorts
   least, with the load average; and the index's segments after the fill
   and after the run (the server merges them in its first idle second).
Loopback only; every loop is bounded; the data folder is removed at the end,
unless SEARCH_BENCH_DATA names a folder to keep: a filled one found there is
used again (same binary's schema) instead of filling."""
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

binary = sys.argv[1] if len(sys.argv) > 1 else "build/relais"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
n_queries = int(sys.argv[3]) if len(sys.argv) > 3 else 60
N_ROOMS, MY_ROOMS = 1000, 50
KINDS = {
    "rare": ["mot123", "mot4567", "mot9876", "mot15000"],
    "common": ["budget", "serveur", "dringend", "kaffee"],
    "very_common": ["the"],
    "two_words": ["facture client", "kaffee morgen", "budget semaine", "the meeting"],
    "accents": ["reunion", "Besprechung", "straße", "Über", "equipe"],
    "short_prefix": ["mot1"],
    "no_match": ["zyzzyva"],
}


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class Server:
    def __init__(self, data):
        self.data, self.proc, self.url = data, None, None

    def start(self):
        self.proc = subprocess.Popen([binary, "serve", "--config", f"{self.data}/relais.conf"],
                                     stdout=subprocess.PIPE, stderr=open(f"{self.data}/err", "a"))
        line = self.proc.stdout.readline().decode()
        if "listening on " not in line:
            sys.exit(f"server did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)

    def req(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + "/_matrix/client/v3" + path, data=data,
                                   method=method)
        r.add_header("Content-Type", "application/json")
        if token:
            r.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(r, timeout=60) as resp:
            return json.loads(resp.read())


def main():
    keep = os.environ.get("SEARCH_BENCH_DATA")
    if keep:
        if os.path.exists(f"{keep}/filled"):
            measure(keep)
        else:
            os.makedirs(keep, exist_ok=True)
            run(keep)
            open(f"{keep}/filled", "w").close()
        return
    data = tempfile.mkdtemp(prefix="relais-search-bench-")
    try:
        run(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run(data):
    subprocess.run([binary, "init", "--data", data, "--port", "0", "--registration", "open",
                    "--no-admin", "--set", "log.level=warn",
                    "--set", "registration.argon2_ops=1", "--set", "registration.argon2_mem_kib=64",
                    "--set", "ratelimit.register_burst=100000",
                    "--set", "ratelimit.register_per_minute=100000",
                    "--set", "ratelimit.login_burst=100000",
                    "--set", "ratelimit.login_per_minute=100000"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = Server(data)
    srv.start()
    reg = srv.req("POST", "/register", {"username": "searcher", "password": "pw-searcher-1",
                                        "auth": {"type": "m.login.dummy"}})
    token = reg["access_token"]
    my_rooms = [srv.req("POST", "/createRoom", {"preset": "private_chat"}, token)["room_id"]
                for _ in range(MY_ROOMS)]
    template_id = srv.req("PUT", f"/rooms/{my_rooms[0]}/send/m.room.message/t1",
                          {"msgtype": "m.text", "body": "template"}, token)["event_id"]
    time.sleep(0.5)  # the push worker indexes the template
    srv.stop()

    t0 = time.monotonic()
    fill(f"{data}/relais.db", my_rooms, template_id)
    print(f"filled {n} messages in {time.monotonic() - t0:.0f} s "
          f"({os.path.getsize(data + '/relais.db') >> 20} MB), index segments {segments(data)}",
          flush=True)
    measure(data)


def measure(data):
    srv = Server(data)
    srv.start()
    token = srv.req("POST", "/login", {"type": "m.login.password",
                                       "identifier": {"type": "m.id.user", "user": "searcher"},
                                       "password": "pw-searcher-1"})["access_token"]
    pid = srv.proc.pid
    hz = os.sysconf("SC_CLK_TCK")
    for order in ("recent", "rank"):
        for kind, terms in KINDS.items():
            if os.environ.get("SEARCH_BENCH_KINDS") and \
                    kind not in os.environ["SEARCH_BENCH_KINDS"].split(","):
                continue
            times, counts = [], []
            # one warm-up pass per term, not timed
            for term in terms:
                srv.req("POST", "/search", {"search_categories": {"room_events": {
                    "search_term": term, "order_by": order}}}, token)
            la = load()
            c0 = cpu_ticks(pid)
            for i in range(n_queries):
                term = terms[i % len(terms)]
                t = time.perf_counter()
                r = srv.req("POST", "/search", {"search_categories": {"room_events": {
                    "search_term": term, "order_by": order}}}, token)
                times.append((time.perf_counter() - t) * 1000)
                counts.append(r["search_categories"]["room_events"]["count"])
            cpu_ms = (cpu_ticks(pid) - c0) / hz * 1000 / n_queries
            times.sort()
            print(f"order_by={order:6s} {kind:12s} p50 {statistics.median(times):6.1f} ms  "
                  f"p99 {times[max(0, int(len(times) * 0.99) - 1)]:6.1f} ms  server CPU "
                  f"{cpu_ms:5.1f} ms/query  count ~{int(statistics.median(counts))}  "
                  f"(load {la})", flush=True)
    srv.stop()
    print(f"index segments after the run: {segments(data)} (the server merges them when idle)")


def segments(data):
    """Segments of the search index and their leaf pages (FTS5's %_idx: one
    row per leaf page beginning a word, its number times 2 plus a flag)."""
    db = sqlite3.connect(f"file:{data}/relais.db?mode=ro", uri=True)
    rows = db.execute("SELECT max(pgno) >> 1 FROM event_search_v2_idx GROUP BY segid").fetchall()
    db.close()
    return f"{len(rows)} ({sum(r[0] for r in rows)} leaf pages)"


def fill(path, my_rooms, template_id):
    rnd = random.Random(7)
    words = ("réunion besprechung meeting projet projekt rapport bericht budget équipe "
             "mannschaft déjeuner mittagessen lunch café kaffee demain morgen tomorrow semaine "
             "woche week client kunde customer livraison lieferung delivery facture rechnung "
             "invoice contrat vertrag contract serveur server relais matrix message nachricht "
             "bonjour hallo hello merci danke thanks urgent dringend question frage réponse "
             "antwort document dokument présentation präsentation slides straße über äpfel "
             "größe être naïve crème brûlée").split()
    vocab = words + [f"mot{i}" for i in range(20000)]
    rooms = my_rooms + [f"!other{i}:bench" for i in range(N_ROOMS - len(my_rooms))]
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    cols = [r[1] for r in db.execute("PRAGMA table_info(events)")]
    row = dict(zip(cols, db.execute("SELECT * FROM events WHERE event_id = ?",
                                    (template_id,)).fetchone()))
    pdu = json.loads(row["json"])
    start = db.execute("SELECT max(stream_pos) FROM events").fetchone()[0] + 1
    depth = {r: 100 for r in rooms}
    ev_cols = [c for c in cols if c not in ("redacted_by", "txn_device", "txn_id")]
    ev_sql = (f"INSERT INTO events ({', '.join(ev_cols)}) VALUES "
              f"({', '.join('?' for _ in ev_cols)})")
    fts_sql = ("INSERT INTO event_search_v2 (rowid, body, room, room_id) "
               "VALUES (?1, ?2, 'r' || hex(?3), ?3)")
    evs, docs = [], []
    ts = row["origin_server_ts"]
    for k in range(n):
        pos = start + k
        room = rooms[k % N_ROOMS]
        body = " ".join(rnd.choice(vocab) if rnd.random() < 0.6 else rnd.choice(words)
                        for _ in range(rnd.randint(4, 14)))
        if rnd.random() < 0.5:
            body = "the " + body
        depth[room] += 1
        pdu["room_id"] = room
        pdu["content"] = {"msgtype": "m.text", "body": body}
        pdu["depth"] = depth[room]
        pdu["origin_server_ts"] = ts + k
        r = dict(row, stream_pos=pos, event_id=f"$bench{pos}", room_id=room,
                 depth=depth[room], origin_server_ts=ts + k, json=json.dumps(pdu))
        evs.append(tuple(r[c] for c in ev_cols))
        docs.append((pos, body, room))
        if len(evs) == 20000:
            db.executemany(ev_sql, evs)
            db.executemany(fts_sql, docs)
            evs.clear()
            docs.clear()
    if evs:
        db.executemany(ev_sql, evs)
        db.executemany(fts_sql, docs)
    # the push worker would evaluate every filled event again at start
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'push_progress'").fetchone():
        db.execute("UPDATE push_progress SET processed_pos = (SELECT max(stream_pos) FROM events)")
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


if __name__ == "__main__":
    main()
