#!/usr/bin/python3
"""Send HL7 messages to vitalsd over MLLP with Debian's python3-hl7, as an
independent client: the messages are parsed by python3-hl7 before they go,
and each acknowledgement is parsed by it when it comes back.

    hl7_send.py HOST PORT FILE...

A FILE holds one or more messages (segments on CR, LF or CR LF lines; a
message starts at each MSH). For each message one line is printed:

    SENT-ID ACK-CODE ACKED-ID

(MSH-10 of the message sent, MSA-1 and MSA-2 of the acknowledgement).
"""
import re
import sys

import hl7
from hl7.client import MLLPClient


def messages(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    segments = [s for s in re.split(r"\r\n|\r|\n", text) if s.strip()]
    current = []
    for seg in segments:
        if seg.startswith("MSH") and current:
            yield "\r".join(current) + "\r"
            current = []
        current.append(seg)
    if current:
        yield "\r".join(current) + "\r"


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 64
    host, port = argv[1], int(argv[2])
    with MLLPClient(host, port) as client:
        for path in argv[3:]:
            for text in messages(path):
                sent = hl7.parse(text)
                reply = client.send_message(text)
                ack = hl7.parse(reply.decode("utf-8").strip("\x0b\x1c\r"))
                msa = ack.segment("MSA")
                print(sent.segment("MSH")[10], msa[1], msa[2], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
