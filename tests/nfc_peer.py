"""Badges for nfcpy's UDP driver, each run as a second process by tests/test_reader_nfc.py.

    python -m tests.nfc_peer felica PORT IDM     # nfcpy's own Type 3 (FeliCa) tag emulation
    python -m tests.nfc_peer typea PORT          # an ISO 14443-A card of our own (see below)

Both print ``ready`` on stdout once they listen on 127.0.0.1:PORT.

nfcpy's UDP driver carries one frame per datagram as ``b"<bitrate> <hex>"`` (``106A 26``), and
``RFOFF`` when the initiator switches its field off. nfcpy can emulate only Type 3 tags on it,
so the NFC-A card is ours. It answers what ``nfc/clf/udp.py``'s ``sense_tta`` sends:

* SENS_REQ ``26`` / ALL_REQ ``52`` → SENS_RES (ATQA: the UID size in bits 7-6 of byte 0);
* SDD_REQ ``93 20`` / ``95 20`` / ``97 20`` (cascade levels 1-3) → 4 UID bytes + BCC, where a
  7- or 10-byte UID starts its first (and second) level with the cascade tag ``88``;
* SEL_REQ ``93 70`` + those 5 bytes → SEL_RES (SAK): ``04`` while the UID goes on at the next
  level, then ``08`` (MIFARE Classic-like, 4 bytes) or ``00`` (Ultralight-like, 7 bytes);

and stays silent to anything else, like a card that does not understand a command. Which card
lies on the reader is said on stdin, one command per line: ``present <UID hex>``, ``absent``.
"""
from __future__ import annotations

import select
import socket
import sys
from functools import reduce
from operator import xor


def cascade_levels(uid: bytes) -> list[bytes]:
    """The 5-byte SDD_RES of each cascade level (4 bytes + BCC).

    >>> [lvl.hex() for lvl in cascade_levels(bytes.fromhex("04112233445566"))]
    ['88041122bf', '3344556644']
    """
    if len(uid) == 4:
        parts = [uid]
    elif len(uid) == 7:
        parts = [b"\x88" + uid[:3], uid[3:]]
    elif len(uid) == 10:
        parts = [b"\x88" + uid[:3], b"\x88" + uid[3:6], uid[6:]]
    else:
        raise ValueError("an NFC-A UID has 4, 7 or 10 bytes")
    return [p + bytes([reduce(xor, p)]) for p in parts]


def answer(frame: bytes, uid: bytes | None) -> bytes | None:
    """The card's answer to one NFC-A frame, or None (silence)."""
    if uid is None:
        return None
    levels = cascade_levels(uid)
    if frame in (b"\x26", b"\x52"):
        return bytes([{4: 0x04, 7: 0x44, 10: 0x84}[len(uid)], 0x00])
    for i, sel in enumerate(b"\x93\x95\x97"[:len(levels)]):
        if frame == bytes([sel, 0x20]):
            return levels[i]
        if frame == bytes([sel, 0x70]) + levels[i]:
            if i < len(levels) - 1:
                return b"\x04"              # cascade bit: the UID is not complete
            return b"\x08" if len(uid) == 4 else b"\x00"
    return None


def run_typea(port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    uid: bytes | None = None
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([sock, sys.stdin], [], [])
        if sys.stdin in ready:
            line = sys.stdin.readline()
            if not line:
                return
            cmd, *args = line.split()
            uid = bytes.fromhex(args[0]) if cmd == "present" else None
            print("ok", flush=True)
        if sock in ready:
            data, addr = sock.recvfrom(1024)
            parts = data.split()
            if len(parts) != 2 or parts[0] != b"106A":
                continue                    # RFOFF, or another technology: not for us
            rsp = answer(bytes.fromhex(parts[1].decode()), uid)
            if rsp is not None:
                sock.sendto(b"106A " + rsp.hex().encode(), addr)


def run_felica(port: int, idm: str) -> None:
    import nfc

    # As nfcpy's examples/tagtool.py "emulate tt3": a Type 3 tag with an NDEF attribute block.
    attribute = bytearray(16)
    attribute[0], attribute[1], attribute[2], attribute[4] = 0x10, 1, 1, 1
    attribute[14:16] = sum(attribute[:14]).to_bytes(2, "big")
    memory = attribute + bytearray(16)

    def on_startup(target):
        target.brty = "212F"
        target.sensf_res = bytearray.fromhex("01" + idm + "03FF40000001FFFF" + "12FC")
        print("ready", flush=True)
        return target

    def on_connect(tag):
        def read(block, rb, re):
            return memory[block * 16:(block + 1) * 16] if block < len(memory) // 16 else None
        tag.add_service(0x0009, read, lambda *a: False)
        tag.add_service(0x000B, read, lambda *a: False)
        return True

    with nfc.ContactlessFrontend(f"udp:127.0.0.1:{port}") as clf:
        # A long listen: the emulator re-binds its socket at each listen, and a poll that
        # arrived in between would be lost.
        while clf.connect(card={"on-startup": on_startup, "on-connect": on_connect,
                                "timeout": 60.0}):
            pass


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "typea":
        run_typea(port)
    else:
        run_felica(port, sys.argv[3])
