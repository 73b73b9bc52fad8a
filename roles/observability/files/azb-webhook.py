"""rsyslog omprog helper: POST each event (one JSON line on stdin) to a webhook URL.

rsyslog runs it with confirmMessages: we answer OK only once the webhook has taken the event (2xx);
anything else makes rsyslog keep the event in its queue and retry, so a webhook outage loses nothing.
Usage: azb-webhook.py URL
"""
import sys
import urllib.error
import urllib.request


def post(url, body, timeout=10):
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "azblink-events"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return 200 <= resp.status < 300


def main():
    url = sys.argv[1]
    sys.stdout.write("OK\n")  # ready
    sys.stdout.flush()
    for line in sys.stdin:
        body = line.strip().encode()
        try:
            ok = post(url, body)
            answer = "OK" if ok else "webhook refused the event"
        except (OSError, urllib.error.URLError) as exc:
            answer = "webhook unreachable: %s" % str(exc).replace("\n", " ")
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
