#!/usr/bin/env python3
"""Signed POST /open/v1/pay/orders using only the Python standard library.

Usage: python3 examples/order.py ACCESS_KEY SECRET_KEY [AMOUNT] [BASE_URL]
Creates an order of AMOUNT (default 12.50) in the demo app's pricing currency (PTS)
and prints the answer; open its pay_url in a browser to pay it as the demo user.
"""
import json
import secrets
import sys
import time
import urllib.request

from ping import sign


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ak, sk = sys.argv[1], sys.argv[2]
    amount = sys.argv[3] if len(sys.argv) > 3 else "12.50"
    base = sys.argv[4] if len(sys.argv) > 4 else "http://127.0.0.1:8080"
    body = json.dumps({
        "trade_no": "demo-" + secrets.token_hex(6),
        "amount": amount,
        "currency": "PTS",
        "subject": "Green tea",
        "return_url": "http://127.0.0.1:8081/done",
    }).encode()
    path = "/open/v1/pay/orders"
    ts, nonce = int(time.time()), secrets.token_urlsafe(18)
    req = urllib.request.Request(base.rstrip("/") + path, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "X-OG-AccessKey": ak,
        "X-OG-Timestamp": str(ts),
        "X-OG-Nonce": nonce,
        "X-OG-Signature": sign(sk, "POST", path, "", ak, ts, nonce, body),
    })
    try:
        with urllib.request.urlopen(req) as resp:
            answer = json.load(resp)
    except urllib.error.HTTPError as e:
        answer = json.load(e)
    print(json.dumps(answer, indent=2))
    sys.exit(0 if answer.get("success") else 1)


if __name__ == "__main__":
    main()
