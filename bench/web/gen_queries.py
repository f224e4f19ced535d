#!/usr/bin/env python3
"""Writes the benchmark query file in Squid's url_rewrite input format
(`URL client/fqdn user method`): N URLs, HIT_RATE of them on hosts listed in the imported
UT1 lists (a third of those with `www.` in front), the rest on hosts listed nowhere.

usage: gen_queries.py UT1_DIR N OUT [seed]
"""
import os, random, sys

# The UT1 lists Charter imports (DESIGN section 4) and the squidGuard config blocks.
MAPPED = """adult mixed_adult lingerie gambling arjel drogue agressif sect hacking dangerous_material
ddos malware cryptojacking stalkerware phishing warez vpn redirector strict_redirector
strong_redirector residential-proxies doh remote-control chat forums social_networks
audio-video radio webmail ai shopping games dating filehosting download press jobsearch bank
financial bitcoin blog""".split()

def main():
    ut1, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 42)
    listed = set()
    for name in MAPPED:
        path = os.path.join(ut1, name, "domains")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    d = line.strip().lower()
                    if d and not d.startswith("#"):
                        listed.add(d)
    # Hosts that are plain names (not IP literals), so `www.` in front stays meaningful.
    names = sorted(d for d in listed if not d.replace(".", "").isdigit() and not d.startswith("www."))
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    tlds = ["com", "net", "org", "fr", "de", "co.uk", "info", "io"]
    paths = ["/", "/index.html", "/news/today", "/img/logo.png", "/search?q=test", "/a/b/c"]
    hits = 0
    with open(out, "w") as f:
        for i in range(n):
            if rng.random() < 0.10:
                host = rng.choice(names)
                if rng.random() < 1 / 3:
                    host = "www." + host
                hits += 1
            else:
                while True:
                    label = "".join(rng.choice(letters) for _ in range(rng.randint(6, 14)))
                    host = f"{rng.choice(['', 'www.', 'cdn.'])}{label}.{rng.choice(tlds)}"
                    if not any(host.endswith(s) for s in (label + "." + t for t in tlds) if s in listed):
                        break
            f.write(f"http://{host}{rng.choice(paths)} 10.0.{i % 250}.{i % 200 + 1}/- - GET\n")
    print(f"wrote {out}: {n} queries, {hits} on listed hosts", file=sys.stderr)

if __name__ == "__main__":
    main()
