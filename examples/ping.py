#!/usr/bin/env python3
"""Signed GET /open/v1/ping using only the Python standard library.

Usage: python3 examples/ping.py ACCESS_KEY SECRET_KEY [BASE_URL]
Prints the platform's answer; exits non-zero when it is not a success.
"""
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.request


def sign(secret, method, path, query, access_key, ts, nonce, body):
    sts = "\n".join([
        "OG1-HMAC-SHA256", method.upper(), path, query, access_key, str(ts), nonce,
        hashlib.sha256(body).hexdigest(),
    ])
    return hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ak, sk = sys.argv[1], sys.argv[2]
    base = sys.argv[3] if len(sys.argv) > 3 else "http://127.0.0.1:8080"
    ts, nonce = int(time.time()), secrets.token_urlsafe(18)
    req = urllib.request.Request(base.rstrip("/") + "/open/v1/ping", headers={
        "X-OG-AccessKey": ak,
        "X-OG-Timestamp": str(ts),
        "X-OG-Nonce": nonce,
        "X-OG-Signature": sign(sk, "GET", "/open/v1/ping", "", ak, ts, nonce, b""),
    })
    try:
        with urllib.request.urlopen(req) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    print(json.dumps(body, indent=2))
    sys.exit(0 if body.get("success") else 1)


if __name__ == "__main__":
    main()
