#!/usr/bin/env python3
"""Signs a login in to a Charter dashboard through its forms (password, then the TOTP code
computed from the login's secret) and prints the session token and its CSRF token, for the
scripts that drive the API from outside a browser (.ci/schemathesis, bench/dashboard/run.sh).

    tools/dashboard-session.py URL LOGIN SECRET < password
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import struct
import sys
import time
import urllib.parse


def totp(secret, at=None):
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret."""
    secret = secret.upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int(time.time() if at is None else at) // 30
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    n = struct.unpack(">I", mac[mac[-1] & 15 :][:4])[0] & 0x7FFFFFFF
    return f"{n % 1000000:06d}"


def exchange(url, method, path, cookie=None, form=None):
    """One request; (status, the session token it sets or None, body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Origin": f"{u.scheme}://{u.netloc}"}
    if cookie:
        headers["Cookie"] = f"charter_session={cookie}"
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    text = r.read().decode("utf-8", "replace")
    token = None
    for value in r.headers.get_all("Set-Cookie") or []:
        m = re.match(r"charter_session=([0-9a-f]{64})", value)
        if m:
            token = m.group(1)
    return r.status, token, text


def sign_in(url, login, password, secret):
    status, pending, body = exchange(url, "POST", "/login", form={"login": login, "password": password})
    if status != 303 or not pending:
        sys.exit(f"dashboard-session: the password step answered {status}: {body[:200]}")
    _, _, form = exchange(url, "GET", "/login/code", cookie=pending)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form)
    if not csrf:
        sys.exit("dashboard-session: no CSRF token on the code form")
    status, token, body = exchange(
        url, "POST", "/login/code", cookie=pending, form={"csrf": csrf.group(1), "code": totp(secret)}
    )
    if status != 303 or not token:
        sys.exit(f"dashboard-session: the code step answered {status}: {body[:200]}")
    status, _, me = exchange(url, "GET", "/api/me", cookie=token)
    if status != 200:
        sys.exit(f"dashboard-session: /api/me answered {status}")
    return token, json.loads(me)["csrf"]


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    token, csrf = sign_in(sys.argv[1], sys.argv[2], sys.stdin.readline().rstrip("\n"), sys.argv[3])
    print(token, csrf)
