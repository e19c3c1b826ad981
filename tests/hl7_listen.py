#!/usr/bin/python3
"""An interface engine for the tests of vitals-hl7: an MLLP listener on
127.0.0.1 that parses every message with Debian's python3-hl7 (an HL7
parser that is not ours), prints what it found as one JSON line per message
on standard output, and acknowledges it.

    hl7_listen.py PORT --out FILE [--refuse N]

PORT 0 takes a free port. "listening PORT" is printed on standard output
once the socket accepts connections; the messages go to FILE, appended and
flushed one line each. --refuse N answers the first N messages
with AE (an application error), as an engine whose database is down does.
A message python3-hl7 cannot parse is printed as {"error": ...} and
answered AR.
"""
import asyncio
import json
import sys

import hl7
import hl7.mllp


def field(seg, n):
    return str(seg[n]) if len(seg) > n else ""


def describe(text):
    msg = hl7.parse(text)
    msh = msg.segment("MSH")
    out = {
        "type": field(msh, 9),
        "control_id": field(msh, 10),
        "sequence": field(msh, 13),
        "created": field(msh, 7),
        "sender": field(msh, 3),
        "profile": field(msh, 21),
        "location": field(msg.segment("PV1"), 3),
        "obr3": field(msg.segment("OBR"), 3),
        "obr4": field(msg.segment("OBR"), 4),
        "obx": [],
    }
    for seg in msg.segments("OBX"):
        code = seg[3][0][0] if len(seg) > 3 else ""
        out["obx"].append({
            "set": field(seg, 1),
            "vt": field(seg, 2),
            "code": str(code[0]) if isinstance(code, hl7.Component) else str(code),
            "id": field(seg, 3),
            "sub": field(seg, 4),
            "value": msg.unescape(field(seg, 5)),
            "unit": field(seg, 6),
            "range": field(seg, 7),
            "flags": field(seg, 8),
            "status": field(seg, 11),
            "time": field(seg, 14),
            "method": field(seg, 17),
            "equipment": field(seg, 18),
        })
    # PCD-04: the attribute rows by their facet (the last level of OBX-4).
    if out["type"].startswith("ORU^R40"):
        names = {"3": "phase", "4": "state", "5": "inactivation", "6": "priority", "7": "kind"}
        alarm = {}
        for obx in out["obx"]:
            facet = obx["sub"].rsplit(".", 1)[-1] if obx["sub"].count(".") == 4 else ""
            if facet == "1":
                alarm["event"] = obx["code"]
                alarm["text"] = obx["value"]
            elif facet == "2":
                alarm["source"] = obx["code"]
                alarm["value"] = obx["value"]
            elif facet in names:
                alarm[names[facet]] = obx["value"]
        out["alarm"] = alarm
    return msg, out


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 64
    port = int(argv[1])
    refuse = int(argv[argv.index("--refuse") + 1]) if "--refuse" in argv else 0
    out_file = open(argv[argv.index("--out") + 1], "a", encoding="utf-8")
    seen = {"n": 0}

    def emit(obj):
        out_file.write(json.dumps(obj, separators=(",", ":")) + "\n")
        out_file.flush()

    async def client(reader, writer):
        try:
            while not reader.at_eof():
                msg = await reader.readmessage()
                seen["n"] += 1
                text = str(msg)
                try:
                    parsed, out = describe(text)
                    code = "AE" if seen["n"] <= refuse else "AA"
                    ack = parsed.create_ack(ack_code=code)
                except Exception as e:  # noqa: BLE001 - anything python3-hl7 refuses
                    emit({"error": str(e), "text": text})
                    continue
                out["answered"] = code
                emit(out)
                writer.writemessage(ack)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve():
        server = await hl7.mllp.start_hl7_server(client, "127.0.0.1", port)
        actual = server.sockets[0].getsockname()[1]
        print("listening %d" % actual, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
