#!/usr/bin/python3
"""bench/search/fts_bench.py [N] [QUERIES] [optimize]: the search index alone. Builds
the search FTS5 table of relais (event_search_v2: body, room token, room ID;
unicode61 remove_diacritics 2) with N
messages (default 1,000,000) in 1,000 rooms from a French/German/English
vocabulary, then times the statement POST /search runs (the walk over the
newest matches) for a user in 50 rooms: p50 and p99; "optimize" first merges
the index into one segment. Only the index and its SQL: the HTTP handler adds
a membership read and the 10 events' loads (bench/search/endpoint_bench.py
measures the whole request)."""
import random
import sqlite3
import statistics
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
n_queries = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rnd = random.Random(7)
words = ("réunion besprechung meeting projet projekt rapport bericht budget équipe mannschaft "
         "déjeuner mittagessen lunch café kaffee demain morgen tomorrow semaine woche week "
         "client kunde customer livraison lieferung delivery facture rechnung invoice contrat "
         "vertrag contract serveur server relais matrix message nachricht bonjour hallo hello "
         "merci danke thanks urgent dringend question frage réponse antwort document dokument "
         "présentation präsentation slides straße über äpfel größe être naïve crème brûlée").split()
vocab = words + [f"mot{i}" for i in range(20000)]
db = sqlite3.connect(":memory:")
db.execute("CREATE VIRTUAL TABLE event_search USING fts5(body, room, room_id UNINDEXED, "
           "tokenize = 'unicode61 remove_diacritics 2')")
rooms = [f"!room{i}:bench" for i in range(1000)]
t0 = time.monotonic()
batch = []
for pos in range(1, n + 1):
    body = " ".join(rnd.choice(vocab) if rnd.random() < 0.6 else rnd.choice(words)
                    for _ in range(rnd.randint(4, 14)))
    batch.append((pos, body, rooms[pos % len(rooms)]))
    if len(batch) == 10000:
        db.executemany("INSERT INTO event_search (rowid, body, room_id, room) "
                       "VALUES (?1, ?2, ?3, 'r' || hex(?3))", batch)
        batch.clear()
if batch:
    db.executemany("INSERT INTO event_search (rowid, body, room_id, room) "
                   "VALUES (?1, ?2, ?3, 'r' || hex(?3))", batch)
db.commit()
print(f"indexed {n} messages in {time.monotonic() - t0:.1f} s")
mine = rnd.sample(rooms, 50)
room_q = "room : (" + " OR ".join("r" + r.encode().hex() for r in mine) + ")"
# the statement of src/db/search.c (db_search): one walk over the newest
# matches, at least 200 (the count is exact below that, estimated above; by
# rank the walk's rows are ordered by a score computed from the highlight
# marks, in C)
walk_sql = ("SELECT rowid, room_id, highlight(event_search, 0, char(1), char(2)) FROM "
            "event_search WHERE event_search MATCH ?1 ORDER BY rowid DESC LIMIT 200")
terms = ["reunion", "Besprechung", "budget", "crème brûlée", "facture client", "mot123",
         "straße", "kaffee morgen", "serveur", "dringend"]
if len(sys.argv) > 3 and sys.argv[3] == "optimize":
    t = time.monotonic()
    db.execute("INSERT INTO event_search(event_search) VALUES('optimize')")
    print(f"optimize (one segment) {time.monotonic() - t:.1f} s")
times = []
for i in range(n_queries):
    term = terms[i % len(terms)]
    # words of 4+ characters are prefixes (src/client/search.c)
    q = ("body : (" + " ".join(f'"{w}"' + ("*" if len(w) >= 4 else "") for w in term.split())
         + ") AND " + room_q)
    t = time.perf_counter()
    rows = db.execute(walk_sql, (q,)).fetchall()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"walk: {n_queries} queries, p50 {statistics.median(times):.1f} ms, "
      f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms (last: {len(rows)} rows)")
