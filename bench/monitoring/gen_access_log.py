#!/usr/bin/env python3
"""Writes a realistic Squid access.log (native format) of N lines from the UT1 lists: USERS
named people, each on their own client address (the people of bench/web/gen_realistic.py),
over DAYS days of office hours with some evening use, times in order; 12% of requests on
UT1-listed hosts (LISTED_SHARE), the rest on a few hundred unlisted work sites; CONNECT for
about 60% of requests (HTTPS), status codes and sizes as an office proxy logs them.

usage: gen_access_log.py UT1_DIR N OUT [USERS] [DAYS] [seed]
"""
import os, random, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from gen_realistic import FIRST, LAST, PATH_CHARS, listed_hosts  # noqa: E402

START = 1_795_000_000  # a Monday, 2026-11-16 07:06:40 UTC, moved to midnight below


def main():
    ut1, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    users = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    days = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 7)
    listed = listed_hosts(ut1)
    names = sorted(d for d in listed if not d.replace(".", "").isdigit() and not d.startswith("www."))
    people, seen = [], set()
    while len(people) < users:
        name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
        if name in seen:
            name = f"{name}{len(people)}"
        seen.add(name)
        people.append((name, f"10.{len(people) // 250}.{len(people) % 250}.{rng.randint(1, 254)}"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    tlds = ["com", "co.uk", "org", "net", "org.uk", "io", "gov.uk", "ac.uk"]
    work_sites = []
    while len(work_sites) < 600:
        host = "".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) + "." + rng.choice(tlds)
        if host not in listed:
            work_sites.append(host)
    share = float(os.environ.get("LISTED_SHARE", "0.12"))
    midnight = START - START % 86_400
    # Request times: office hours 08:00-18:00 for 90%, the evening for the rest, in order.
    per_day = n // days + 1
    statuses = [200] * 80 + [304] * 8 + [302] * 5 + [404] * 4 + [403, 500, 503]
    mimes = ["text/html", "text/css", "application/javascript", "image/png", "image/jpeg", "application/json", "-"]
    written = 0
    with open(out, "w") as f:
        for day in range(days):
            base = midnight + day * 86_400
            count = min(per_day, n - written)
            stamps = sorted(
                base + (rng.uniform(8 * 3600, 18 * 3600) if rng.random() < 0.9 else rng.uniform(18 * 3600, 23 * 3600))
                for _ in range(count)
            )
            for t in stamps:
                user, addr = rng.choice(people)
                host = rng.choice(names) if rng.random() < share else rng.choice(work_sites)
                if rng.random() < 0.8:
                    host = "www." + host
                if rng.random() < 0.6:
                    method, url, code, mime = "CONNECT", f"{host}:443", "TCP_TUNNEL/200", "-"
                    hier = f"HIER_DIRECT/{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                else:
                    path = "/" + "".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(0, 29)))
                    if rng.random() < 0.2:
                        path = path[:20] + "?id=" + str(rng.randint(1, 99999))
                    status = rng.choice(statuses)
                    method = "GET" if rng.random() < 0.92 else "POST"
                    url, code, mime = f"http://{host}{path}", f"TCP_MISS/{status}", rng.choice(mimes)
                    hier = "HIER_DIRECT/93.184.216.34"
                size = int(rng.lognormvariate(8, 1.6))
                elapsed = int(rng.lognormvariate(4, 1.2))
                f.write(f"{t:.3f} {elapsed:6d} {addr} {code} {size} {method} {url} {user} {hier} {mime}\n")
            written += count
    print(f"wrote {out}: {written} lines from {users} users over {days} days", file=sys.stderr)


if __name__ == "__main__":
    main()
