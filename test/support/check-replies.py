#!/usr/bin/env python3
"""An outside check of irqtriage's replies, with Python's own mail parser in strict mode.

Reads a JSON list on stdin, one entry per reply:
  {"reply": "<path of the sent or written .eml>",
   "original": "<path of the mail it answers>",
   "envelope": ["rcpt", ...] or null,        # SMTP RCPT TO, when it was sent
   "maxRecipients": 20}
and prints a JSON list of {"reply", "problems": [...]} (empty problems: the reply is fine).

What is checked, for every reply:
- it parses with email.policy.strict (any defect raises), and no header carries a defect;
- every line ends in CRLF and has at most 998 octets; no encoded word is over 75 characters;
- no header field beyond the expected set, none twice;
- every recipient (To, Cc and the SMTP envelope) was on the original's To, Cc or From, and
  there are at most maxRecipients of them;
- Message-ID, In-Reply-To and References are msg-ids of at most 250 characters, References
  at most 21, In-Reply-To is the original's Message-ID;
- the body's first line is our attribution ("... wrote:"), and no line that is not quoted
  with ">" is a trailer (Reviewed-by: and friends) or a header field someone slipped in.
The original is read with the lenient compat32 policy: it is hostile mail, it may not parse
strictly, and only its raw To/Cc/From/Message-ID are needed.
"""
import email
import email.policy
import json
import re
import sys
from email.utils import getaddresses

EXPECTED = {
    "from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "auto-submitted", "x-irqtriage-key",
}
MSG_ID = re.compile(r"^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                    r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*|\[[\x21-\x5a\x5e-\x7e]*\])>$")
TRAILER = re.compile(r"^(Reviewed-by|Acked-by|Tested-by|Signed-off-by|Reported-by|Suggested-by|Co-developed-by|"
                     r"Bcc|Reply-To|To|Cc|From|Subject|Message-ID|In-Reply-To|References)\s*:", re.I)
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def addresses_of(values):
    return {a.lower() for _, a in getaddresses([str(v) for v in values if v is not None]) if a}


def check(entry):
    problems = []
    raw = open(entry["reply"], "rb").read()
    # the test SMTP server records the envelope in two lines of its own above the mail
    if raw.startswith(b"X-Sink-Envelope-From:"):
        raw = raw.split(b"\r\n", 2)[2]
    orig_raw = open(entry["original"], "rb").read()
    if orig_raw.startswith(b"From ") and not orig_raw.startswith(b"From:"):
        orig_raw = orig_raw.split(b"\n", 1)[1]
    orig = email.message_from_bytes(orig_raw, policy=email.policy.compat32)

    if re.search(rb"\r(?!\n)|(?<!\r)\n", raw):
        problems.append("a bare CR or LF")
    for n, line in enumerate(raw.split(b"\r\n"), 1):
        if len(line) > 998:
            problems.append(f"line {n} has {len(line)} octets")
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    for w in ENCODED_WORD.findall(head):
        if len(w) > 75:
            problems.append(f"encoded word of {len(w)} characters")

    try:
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        names = [k.lower() for k in msg.keys()]
        values = {}
        for k in msg.keys():
            h = msg[k]  # parsed by the header registry: defects are raised or recorded
            if getattr(h, "defects", None):
                problems.append(f"header {k}: defects {[type(d).__name__ for d in h.defects]}")
            values.setdefault(k.lower(), str(h))
        body = msg.get_content().replace("\r\n", "\n")
    except Exception as e:  # noqa: BLE001 - any failure of the strict parser is the finding
        return problems + [f"strict parse failed: {type(e).__name__}: {e}"]
    if msg.defects:
        problems.append(f"message defects {[type(d).__name__ for d in msg.defects]}")

    for k in names:
        if k not in EXPECTED:
            problems.append(f"unexpected header {k}")
    for k in set(names):
        if names.count(k) > 1:
            problems.append(f"header {k} {names.count(k)} times")
    for k in ("from", "to", "subject", "date", "message-id", "in-reply-to"):
        if k not in names:
            problems.append(f"header {k} missing")

    allowed = addresses_of(orig.get_all("to", []) + orig.get_all("cc", []) + orig.get_all("from", []))
    rcpts = addresses_of(msg.get_all("to", []) + msg.get_all("cc", []))
    if entry.get("envelope") is not None:
        env = {a.lower() for a in entry["envelope"]}
        if env != rcpts:
            problems.append(f"envelope {sorted(env)} is not the header's To+Cc {sorted(rcpts)}")
        rcpts |= env
    for r in sorted(rcpts - allowed):
        problems.append(f"recipient {r} was not on the original's To/Cc/From")
    if len(rcpts) > entry.get("maxRecipients", 20):
        problems.append(f"{len(rcpts)} recipients")

    ids = {k: values.get(k, "") for k in ("message-id", "in-reply-to")}
    for k, v in ids.items():
        if not MSG_ID.match(v) or len(v) > 252:
            problems.append(f"{k} {v[:80]!r} is not a msg-id of at most 250 characters")
    refs = values.get("references", "").split()
    if len(refs) > 21:
        problems.append(f"{len(refs)} References")
    for r in refs:
        if not MSG_ID.match(r) or len(r) > 252:
            problems.append(f"reference {r[:80]!r} is not a msg-id")
    orig_id = (orig.get("message-id") or "").strip()
    if ids["in-reply-to"] != orig_id:
        problems.append(f"In-Reply-To {ids['in-reply-to'][:80]!r} is not the original's Message-ID {orig_id[:80]!r}")

    lines = body.split("\n")
    if not re.match(r"^(On .+, )?.+ wrote:$", lines[0]) or not lines[1].startswith(">"):
        problems.append(f"body starts {lines[0][:80]!r}, not with our attribution and quote")
    for line in lines:
        if TRAILER.match(line):
            problems.append(f"body line {line[:80]!r} is not ours")
    return problems


def main():
    entries = json.load(sys.stdin)
    out = [{"reply": e["reply"], "problems": check(e)} for e in entries]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
