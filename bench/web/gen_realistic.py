#!/usr/bin/env python3
"""Writes a realistic query file in Squid's url_rewrite input format
(`URL client/fqdn user method`) and the users' roles for it, as an office's proxy sees
traffic rather than as a lookup benchmark does: USERS named people (firstname.lastname), each
on their own client address; `www.` on about 80% of hosts; paths of 1 to 30 characters with
query strings now and then; LISTED_SHARE (environment, default 0.12) of requests on listed
hosts, the rest on hosts listed nowhere.

usage: gen_realistic.py UT1_DIR N OUT ROLES_OUT [USERS] [seed]
"""
import os, random, sys

from gen_queries import MAPPED

FIRST = """amy ben cara dan eve finn gina hal isla jack kate liam mia noah olive paul quinn rosa sam
tara umar vera will xena yusuf zara alex beth carl dina ed faye glen hana ivan jo kim leo""".split()
LAST = """smith jones taylor brown williams wilson johnson davies patel wright walker white
edwards hughes green hall lewis harris clarke jackson wood turner martin cooper hill ward
morris moore clark lee king baker harrison morgan allen james scott phillips watson davis""".split()
ROLES = ["staff"] * 12 + ["staff,marketing", "staff,social_media_manager", "staff,it",
                          "staff,hr", "staff,line_manager", "management"]
PATH_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-_/"


def listed_hosts(ut1):
    listed = set()
    for name in MAPPED:
        path = os.path.join(ut1, name, "domains")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    d = line.strip().lower()
                    if d and not d.startswith("#"):
                        listed.add(d)
    return listed


def main():
    ut1, n, out, roles_out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    users = int(sys.argv[5]) if len(sys.argv) > 5 else 400
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 7)
    listed = listed_hosts(ut1)
    names = sorted(d for d in listed if not d.replace(".", "").isdigit() and not d.startswith("www."))
    people = []
    seen = set()
    while len(people) < users:
        name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}"
        if name in seen:
            name = f"{name}{len(people)}"
        seen.add(name)
        people.append((name, f"10.{len(people) // 250}.{len(people) % 250}.{rng.randint(1, 254)}"))
    with open(roles_out, "w") as f:
        for name, _ in people:
            f.write(f"{name} {rng.choice(ROLES)}\n")
    # The hosts an office visits again and again: a few hundred unlisted sites.
    letters = "abcdefghijklmnopqrstuvwxyz"
    tlds = ["com", "co.uk", "org", "net", "org.uk", "io", "gov.uk", "ac.uk"]
    work_sites = []
    while len(work_sites) < 600:
        host = "".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) + "." + rng.choice(tlds)
        if host not in listed:
            work_sites.append(host)
    share = float(os.environ.get("LISTED_SHARE", "0.12"))
    hits = 0
    with open(out, "w") as f:
        for _ in range(n):
            user, addr = rng.choice(people)
            if rng.random() < share:
                host = rng.choice(names)
                hits += 1
            else:
                host = rng.choice(work_sites)
            if rng.random() < 0.8:
                host = "www." + host
            path = "/" + "".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(0, 29)))
            if rng.random() < 0.2:
                path = path[:20] + "?id=" + str(rng.randint(1, 99999))
            f.write(f"http://{host}{path} {addr}/- {user} GET\n")
    print(f"wrote {out}: {n} queries from {users} users, {hits} on listed hosts", file=sys.stderr)


if __name__ == "__main__":
    main()
