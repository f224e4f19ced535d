#!/usr/bin/env python3
"""Writes a synthetic adult domain list for the 5-million-domain memory run: N distinct
domains shaped like real list entries (two or three words run together, sometimes a number
or a hyphen, a common TLD, now and then a subdomain), none of them in UT1.

usage: gen_adult.py N OUT [seed]
"""
import random, sys

def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    cons = "bcdfghjklmnprstvwxz"
    vows = "aeiouy"
    words = set()
    while len(words) < 600:
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.4:
            w += rng.choice(cons)
        words.add(w)
    words = sorted(words)
    tlds = ["com"] * 12 + ["net"] * 4 + ["org", "xxx", "info", "biz", "ru", "de", "nl", "fr", "co.uk", "tv", "me", "cc", "io", "xyz", "top", "club", "site", "online"]
    seen = set()
    with open(out, "w") as f:
        while len(seen) < n:
            parts = [rng.choice(words) for _ in range(rng.choice([2, 2, 2, 3]))]
            name = ("-" if rng.random() < 0.15 else "").join(parts)
            if rng.random() < 0.2:
                name += str(rng.randint(1, 999))
            host = f"{name}.{rng.choice(tlds)}"
            if rng.random() < 0.05:
                host = f"{rng.choice(['m', 'cdn', 'img', 'video', 'free'])}.{host}"
            if host in seen:
                continue
            seen.add(host)
            f.write(host + "\n")
    print(f"wrote {out}: {n} synthetic domains", file=sys.stderr)

main()
