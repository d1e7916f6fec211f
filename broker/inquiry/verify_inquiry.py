#!/usr/bin/env python3
"""Checks a Samband inquiry export without the city's software.

    python3 verify.py [DIR]        (DIR: the export's folder; default: the folder of this script)

Needs Python 3 and PyNaCl (Debian: apt-get install python3-nacl); nothing else.

What it checks, from the files in the folder and the city's public key in city.pub alone:
  1. The city's Ed25519 signature over MANIFEST.sha256, and the SHA-256 of every file in it:
     a changed, missing or added file is named.
  2. Every frame: its Cap'n Proto envelope and body are decoded here, from the signed bytes
     (a reader for the schema's layout is below), and compared with the frame's columns and
     its JSON ("body"); its BLAKE2b body hash.
  3. Every signature, with keys proven by the city's signed roster records (enrolments,
     revocations) and by key rotations signed with a proven key of the same provider; the
     city's own signatures with the city's root key (root.pub when the export holds one, else
     city.pub) or a broker key the root certified and had not revoked (docs/protocol.md,
     "City keys"). Compare the root's key id with the one the city publishes.
  4. Every sender's chain: consecutive sequence numbers, each body naming the hash of the one
     before it.
  5. The city's checkpoints: signed, numbered and chained; the running digest and the chain
     heads they sign match exactly the period's frames in order (nothing removed, added,
     changed or reordered); no frame was received after the checkpoint covering it was signed.
  6. Each picture (pictures/*.json and *.csv) against a picture rebuilt here from the frames:
     the archive's size, the city's level, every provider's continuity and last sequence
     number, every unit's provider, state, counts, resources, free text and report times and
     ages, and traffic in other modes.
What only `samband-broker inquiry verify` checks: the whole picture byte for byte, including
liveness, report ages in school time ("old"), open readiness checks and directives, and the
labels (names, districts, school forms), which come from labels.json and are not signed.
Exit status: 0 when everything checks out, 1 when something does not, 2 when it cannot run.
"""

import base64
import csv
import datetime
import hashlib
import io
import json
import os
import struct
import sys

try:
    import nacl.exceptions
    import nacl.signing
except ImportError:
    print("verify.py needs PyNaCl: apt-get install python3-nacl (or pip install pynacl)",
          file=sys.stderr)
    sys.exit(2)

BODY_DOMAIN = b"samband/v1/body\0"
BATCH_DOMAIN = b"samband/v1/batch\0"
BATCHES = {}  # batch id -> batch frame as sent (issue 16), from the frame files
CHECKPOINT_DOMAIN = b"samband/v1/checkpoint\0"
CITY_KEY_DOMAIN = b"samband/v1/city-key\0"
MANIFEST_DOMAIN = b"samband/v1/inquiry-manifest\0"
CITY = "city"

problems = []


def problem(text):
    problems.append(text)


def h256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


def rfc3339(ms):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def time_or_null(ms):
    return None if ms <= 0 else rfc3339(ms)


def count_or_null(n):
    return None if n < 0 else n


# --- Cap'n Proto, unpacked encoding: just what schemas/samband.capnp needs ----------------

class CapnpError(Exception):
    pass


class Message:
    def __init__(self, data):
        if len(data) < 8:
            raise CapnpError("too short")
        count = struct.unpack_from("<I", data, 0)[0] + 1
        if count > 512:
            raise CapnpError("too many segments")
        sizes = struct.unpack_from("<%dI" % count, data, 4)
        offset = 4 + 4 * count
        offset += offset % 8
        self.segments = []
        for size in sizes:
            end = offset + size * 8
            if end > len(data):
                raise CapnpError("segment past the end")
            self.segments.append(data[offset:end])
            offset = end

    def word(self, seg, index):
        s = self.segments[seg]
        if index < 0 or (index + 1) * 8 > len(s):
            raise CapnpError("pointer out of bounds")
        return struct.unpack_from("<Q", s, index * 8)[0]

    def root(self):
        return self.pointer(0, 0)

    def resolve(self, seg, index):
        """(segment, pointer word, index of the word the pointer's offset counts from)."""
        w = self.word(seg, index)
        if w & 3 != 2:
            return seg, w, index
        pad = (w >> 2) & 1
        far = (w >> 3) & 0x1FFFFFFF
        fseg = w >> 32
        if fseg >= len(self.segments):
            raise CapnpError("far pointer to no segment")
        if not pad:
            return fseg, self.word(fseg, far), far
        # Double far: a far pointer to the content, then a tag naming its shape.
        land = self.word(fseg, far)
        tag = self.word(fseg, far + 1)
        cseg = land >> 32
        start = (land >> 3) & 0x1FFFFFFF
        # A tag's offset is zero: content starts at `start`, so count from start - 1.
        return cseg, tag, start - 1

    def pointer(self, seg, index):
        seg, w, at = self.resolve(seg, index)
        if w == 0:
            return None
        kind = w & 3
        off = (w >> 2) & 0x3FFFFFFF
        if off & 0x20000000:
            off -= 0x40000000
        start = at + 1 + off
        if kind == 0:
            return Struct(self, seg, start, (w >> 32) & 0xFFFF, (w >> 48) & 0xFFFF)
        if kind == 1:
            return List(self, seg, start, (w >> 32) & 7, w >> 35)
        raise CapnpError("unsupported pointer")


class Struct:
    def __init__(self, msg, seg, start, data_words, ptr_count):
        self.msg, self.seg, self.start = msg, seg, start
        self.data_words, self.ptr_count = data_words, ptr_count
        if (start + data_words + ptr_count) * 8 > len(msg.segments[seg]):
            raise CapnpError("struct out of bounds")

    def bits(self, offset, width):
        byte = offset // 8
        if byte + (width + 7) // 8 > self.data_words * 8:
            return 0  # outside an older, shorter struct: the default
        data = self.msg.segments[self.seg][self.start * 8:]
        if width == 1:
            return (data[byte] >> (offset % 8)) & 1
        return int.from_bytes(data[byte:byte + width // 8], "little")

    def u(self, offset, width, default=0):
        return self.bits(offset, width) ^ default

    def i(self, offset, width, default=0):
        v = self.bits(offset, width) ^ (default & ((1 << width) - 1))
        return v - (1 << width) if v >> (width - 1) else v

    def ptr(self, n):
        if n >= self.ptr_count:
            return None
        return self.msg.pointer(self.seg, self.start + self.data_words + n)

    def data(self, n):
        p = self.ptr(n)
        if p is None:
            return b""
        if not isinstance(p, List) or p.size != 2:
            raise CapnpError("not Data")
        return p.bytes()

    def text(self, n):
        raw = self.data(n)
        if raw and raw[-1:] == b"\0":
            raw = raw[:-1]
        return raw.decode("utf-8")

    def struct(self, n):
        p = self.ptr(n)
        if p is not None and not isinstance(p, Struct):
            raise CapnpError("not a struct")
        return p

    def structs(self, n):
        p = self.ptr(n)
        return [] if p is None else p.structs()

    def texts(self, n):
        p = self.ptr(n)
        return [] if p is None else p.texts()


class List:
    def __init__(self, msg, seg, start, size, count):
        self.msg, self.seg, self.start, self.size, self.count = msg, seg, start, size, count

    def bytes(self):
        s = self.msg.segments[self.seg]
        if (self.start * 8 + self.count) > len(s):
            raise CapnpError("list out of bounds")
        return bytes(s[self.start * 8:self.start * 8 + self.count])

    def structs(self):
        if self.size != 7:
            raise CapnpError("not a list of structs")
        tag = self.msg.word(self.seg, self.start)
        n = (tag >> 2) & 0x3FFFFFFF
        dw, pc = (tag >> 32) & 0xFFFF, (tag >> 48) & 0xFFFF
        if n * (dw + pc) > self.count:
            raise CapnpError("list elements out of bounds")
        return [Struct(self.msg, self.seg, self.start + 1 + k * (dw + pc), dw, pc)
                for k in range(n)]

    def texts(self):
        if self.size != 6:
            raise CapnpError("not a list of pointers")
        out = []
        for k in range(self.count):
            p = self.msg.pointer(self.seg, self.start + k)
            raw = b"" if p is None else p.bytes()
            out.append(raw[:-1].decode("utf-8") if raw.endswith(b"\0") else raw.decode("utf-8"))
        return out


# The schema's enums, by ordinal (schemas/samband.capnp; names as the broker writes them).
MODES = ["actual", "exercise", "system", "test"]
LEVELS = ["unchanged", "normal", "heightened", "highest"]
OPERATIONAL = ["unknown", "normal", "reduced", "remote", "closed", "relocated"]
SUPPLY = ["unknown", "ok", "degraded", "down"]
ELECTRICITY = ["unknown", "grid", "backup", "none"]
OFFERED = ["unknown", "no", "yes"]
FORMS = ["forskola", "forskoleklass", "grundskola", "gymnasieskola", "fritidshem",
         "anpassad_grundskola", "anpassad_gymnasieskola"]
CONTINUITY = ["ok", "at_risk", "cannot_continue"]
ACKS = ["delivered", "acknowledged"]
ORIGINS = ["unstated", "scheduled", "manual"]
ACTIONS = ["enrol", "revoke", "units"]
ROSTER_INFO = ["unitInfo", "dutyContact", "providerName"]
KINDS = ["heartbeat", "unit_status", "capacity", "continuity", "readiness_answer",
         "directive_ack", "readiness_check", "directive", "key_rotation", "time_beacon",
         "enrolment", "city_key", "roster_info", "account"]
ACCOUNT_ACTIONS = ["set", "remove"]


def name(table, i):
    return table[i] if i < len(table) else "unknown"


def decode_envelope(data):
    root = Message(data).root()
    if not isinstance(root, Struct):
        raise CapnpError("no envelope")
    return root.data(0), root.data(1)


def decode_payload(kind, p):
    if p is None:
        raise CapnpError("no payload")
    if kind == "heartbeat":
        return {"headSeq": p.u(0, 64), "outboxPending": p.u(64, 32),
                "level": name(LEVELS, p.u(96, 16)), "counter": p.u(128, 64)}
    if kind == "unit_status":
        return {"unitCode": p.text(0), "operational": name(OPERATIONAL, p.u(0, 16)),
                "reason": p.text(1), "expectedReopen": p.i(64, 64),
                "pupilsEnrolled": p.i(32, 32, -1), "pupilsPresent": p.i(128, 32, -1),
                "staffTotal": p.i(160, 32, -1), "staffAvailable": p.i(192, 32, -1),
                "criticalCare": name(OFFERED, p.u(16, 16)),
                "specialSupport": name(OFFERED, p.u(224, 16)),
                "electricity": name(ELECTRICITY, p.u(240, 16)), "backupHours": p.i(256, 32, -1),
                "heating": name(SUPPLY, p.u(288, 16)), "water": name(SUPPLY, p.u(304, 16)),
                "food": name(SUPPLY, p.u(320, 16)), "it": name(SUPPLY, p.u(336, 16)),
                "telephony": name(SUPPLY, p.u(352, 16)), "foodDays": p.i(384, 32, -1),
                "note": p.text(2), "validUntil": p.i(448, 64)}
    if kind == "capacity":
        return {"unitCode": p.text(0),
                "entries": [{"form": name(FORMS, e.u(0, 16)), "year": e.u(16, 8),
                             "enrolled": e.i(32, 32), "seatsNow": e.i(64, 32),
                             "seats72h": e.i(96, 32)} for e in p.structs(1)]}
    if kind == "continuity":
        return {"state": name(CONTINUITY, p.u(0, 16)), "fromDate": p.i(64, 64), "note": p.text(0)}
    if kind == "readiness_answer":
        return {"checkId": p.text(0),
                "results": [{"name": t.text(0), "passed": bool(t.u(0, 1)), "detail": t.text(1)}
                            for t in p.structs(1)],
                "confirmed": bool(p.u(0, 1)), "receivedAt": p.i(64, 64)}
    if kind == "directive_ack":
        ack = {"directiveId": p.text(0), "kind": name(ACKS, p.u(0, 16))}
        issuer = p.data(1).hex()  # the directive's signing city key; absent from older agents
        if issuer:
            ack["issuerKeyId"] = issuer
        return ack
    if kind == "readiness_check":
        return {"checkId": p.text(0), "issuedAt": p.i(0, 64), "deadline": p.i(64, 64),
                "requireConfirmation": bool(p.u(128, 1)),
                "origin": name(ORIGINS, p.u(144, 16))}
    if kind == "directive":
        return {"directiveId": p.text(0), "number": p.u(0, 64), "text": p.text(1),
                "level": name(LEVELS, p.u(64, 16)), "requireAck": bool(p.u(80, 1)),
                "expiresAt": p.i(128, 64), "recipients": p.texts(2)}
    if kind == "key_rotation":
        return {"newKeyId": p.data(0).hex(), "newSignPublic": p.data(1).hex(),
                "newCurvePublic": p.data(2).hex()}
    if kind == "time_beacon":
        return {"level": name(LEVELS, p.u(0, 16)), "directiveNumber": p.u(64, 64),
                "checkId": p.text(0), "checkIssuedAt": p.i(128, 64)}
    if kind == "enrolment":
        return {"action": name(ACTIONS, p.u(0, 16)), "provider": p.text(0),
                "keyId": p.data(1).hex(), "signPublic": p.data(2).hex(),
                "curvePublic": p.data(3).hex(), "units": p.texts(4), "effectiveAt": p.i(64, 64)}
    if kind == "city_key":
        return {"statement": p.data(0).hex(), "signature": p.data(1).hex()}
    if kind == "roster_info":
        return {"kind": name(ROSTER_INFO, p.u(0, 16)), "provider": p.text(0), "text": p.text(1),
                "units": [{"code": u.text(0), "name": u.text(1), "district": u.text(2),
                           "hasPosition": bool(u.u(0, 1)), "latitude": f64(u, 64),
                           "longitude": f64(u, 128), "schoolForms": u.text(3)}
                          for u in p.structs(2)]}
    if kind == "account":
        return {"action": name(ACCOUNT_ACTIONS, p.u(0, 16)), "name": p.text(0),
                "role": p.text(1), "districts": p.texts(2), "passwordDigest": p.data(3).hex()}
    raise CapnpError("unknown payload")


def f64(p, offset):
    return struct.unpack("<d", p.u(offset, 64).to_bytes(8, "little"))[0]


def decode_body(data):
    b = Message(data).root()
    if not isinstance(b, Struct):
        raise CapnpError("no body")
    tag = b.u(144, 16)
    if tag >= len(KINDS):
        raise CapnpError("unknown union tag %d" % tag)
    kind = KINDS[tag]
    return {"senderId": b.text(0), "keyId": b.data(1).hex(), "seq": b.u(0, 64),
            "prevHash": b.data(2).hex(), "sentAt": b.i(64, 64), "mode": name(MODES, b.u(128, 16)),
            "payload": {"kind": kind, "value": decode_payload(kind, b.struct(3))}}


# --- the checks ----------------------------------------------------------------------------

BATCH_MAGIC = b"SBATCHv1"


def open_batch(frame, key):
    """The bodies of a batch frame (issue 16) whose signature holds under key, or None."""
    if not frame.startswith(BATCH_MAGIC):
        return None
    root = Message(frame[len(BATCH_MAGIC):]).root()
    if not isinstance(root, Struct):
        return None
    p = root.ptr(0)
    if not isinstance(p, List) or p.size != 6:
        return None
    bodies = []
    for k in range(p.count):
        b = p.msg.pointer(p.seg, p.start + k)
        bodies.append(b"" if b is None else b.bytes())
    signed = BATCH_DOMAIN + b"".join(struct.pack(">I", len(b)) + b for b in bodies)
    return bodies if verifies(key, signed, root.data(1)) else None


def read(path, binary=False):
    with open(path, "rb" if binary else "r", encoding=None if binary else "utf-8",
              newline=None if binary else "") as f:
        return f.read()


def verifies(key, message, signature):
    try:
        nacl.signing.VerifyKey(key).verify(message, signature)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False


def key_id(sign_public):
    return h256(sign_public)[:8].hex()


def load_city_key(root):
    fields = {}
    for line in read(os.path.join(root, "city.pub")).splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            fields[k.strip()] = v.strip()
    return bytes.fromhex(fields["sign_public"])


class CityKeys:
    """The city key hierarchy (docs/protocol.md, "City keys"): the root's own key, or a broker key
    the root certified and had not revoked at the time in question."""

    def __init__(self, root_key):
        self.root, self.root_id, self.keys = root_key, key_id(root_key), {}

    def add(self, statement, signature, where):
        s = statement
        if len(s) < 100 or s[0] != 1 or s[1] not in (1, 2) or \
                len(s) != 100 + int.from_bytes(s[98:100], "big"):
            problem(where + ": a city key statement that does not decode")
            return
        if s[2:10].hex() != self.root_id or not verifies(self.root, CITY_KEY_DOMAIN + s, signature):
            problem(where + ": a city key statement not signed by the city's root")
            return
        kid, at = s[10:18].hex(), struct.unpack_from(">q", s, 90)[0]
        if kid == self.root_id:
            return
        k = self.keys.setdefault(kid, [None, None])
        if s[1] == 1:
            if key_id(s[18:50]) != kid:
                problem(where + ": a city key certificate whose key id is not its key's")
            elif k[0] is None:
                k[0] = s[18:50]
        elif k[1] is None or at < k[1]:
            k[1] = at

    def key_for(self, kid, at):
        if kid == self.root_id:
            return self.root
        k = self.keys.get(kid)
        if k is None or k[0] is None or (k[1] is not None and at >= k[1]):
            return None
        return k[0]

    def verifies(self, kid, message, signature, at):
        key = self.key_for(kid, at)
        return key is not None and verifies(key, message, signature)


def city_keys_of(root_key, frames):
    keys = CityKeys(root_key)
    for f in frames:
        if f.decoded and f.msg["senderId"] == CITY and f.msg["payload"]["kind"] == "city_key":
            v = f.msg["payload"]["value"]
            keys.add(bytes.fromhex(v["statement"]), bytes.fromhex(v["signature"]), f.where)
    return keys


def load_root_key(root, city_key):
    """root.pub when the export holds one (a city with an offline root key), else city.pub."""
    try:
        fields = {}
        for line in read(os.path.join(root, "root.pub")).splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                fields[k.strip()] = v.strip()
        return bytes.fromhex(fields["sign_public"])
    except (OSError, KeyError, ValueError):
        return city_key


def check_manifest(root, city_key):
    files = set()
    for d, _, names in os.walk(root):
        for n in names:
            files.add(os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"))
    try:
        manifest = read(os.path.join(root, "MANIFEST.sha256"), True)
    except OSError:
        problem("MANIFEST.sha256: missing; no file can be checked against it")
        return
    try:
        sig = bytes.fromhex(read(os.path.join(root, "MANIFEST.sig")).strip())
        if not verifies(city_key, MANIFEST_DOMAIN + manifest, sig):
            problem("MANIFEST.sha256: the city's signature in MANIFEST.sig does not verify: the "
                    "manifest was changed, or is not the city's")
    except (OSError, ValueError):
        problem("MANIFEST.sig: missing or malformed; the manifest is not signed")
    listed = {}
    for line in manifest.decode("utf-8").splitlines():
        if len(line) > 66 and line[64:66] == "  ":
            listed[line[66:]] = line[:64]
        else:
            problem("MANIFEST.sha256: a line is not 'SHA256  path'")
    for path, digest in sorted(listed.items()):
        if path not in files:
            problem(path + ": missing (the manifest lists it)")
        elif hashlib.sha256(read(os.path.join(root, path), True)).hexdigest() != digest:
            problem(path + ": changed (its SHA-256 is not the one in the manifest)")
    for path in sorted(files - set(listed) - {"MANIFEST.sha256", "MANIFEST.sig"}):
        problem(path + ": added (not in the manifest)")


class Frame:
    pass


def load_frames(root, meta):
    before, period = [], []
    batches = BATCHES
    last_id = 0
    for rel in meta["frame_files"]:
        try:
            text = read(os.path.join(root, rel))
        except OSError:
            problem(rel + ": missing; its frames cannot be checked")
            continue
        for n, line in enumerate(text.split("\n"), 1):
            if not line:
                continue
            f = Frame()
            f.where = "%s line %d" % (rel, n)
            f.decoded = False
            try:
                j = json.loads(line)
                f.id, f.received_at = int(j["id"]), int(j["received_at"])
                f.envelope = base64.b64decode(j["envelope"], validate=True)
                f.batch_id = int(j.get("batch_id", 0))
                f.batch_index = int(j.get("batch_index", 0))
                if j.get("batch") is not None:
                    batches[f.batch_id] = base64.b64decode(j["batch"], validate=True)
            except (ValueError, KeyError, TypeError):
                problem(f.where + ": not a frame line")
                continue
            if f.id <= last_id:
                problem(f.where + ": frame id %d is not after the one before it" % f.id)
            last_id = max(last_id, f.id)
            try:
                f.body, f.signature = decode_envelope(f.envelope)
                f.msg = decode_body(f.body)
                f.hash = h256(f.body)
                f.decoded = True
            except (CapnpError, UnicodeDecodeError, IndexError, struct.error) as e:
                problem(f.where + ": the signed bytes do not decode (%s)" % e)
            if f.decoded:
                m = f.msg
                cols = [("sender", m["senderId"]), ("key_id", m["keyId"]), ("seq", m["seq"]),
                        ("kind", m["payload"]["kind"]), ("mode", m["mode"]),
                        ("sent_at", m["sentAt"]), ("body_hash", f.hash.hex())]
                differs = [c for c, v in cols if j.get(c) != v]
                if j.get("body") != m:
                    differs.append("body")
                if differs:
                    problem("%s (%s seq %d): differs from its signed bytes in %s"
                            % (f.where, m["senderId"], m["seq"], ", ".join(differs)))
            (before if rel == "frames/before.jsonl" else period).append(f)
    listed = set(meta["frame_files"])
    frames_dir = os.path.join(root, "frames")
    if os.path.isdir(frames_dir):
        for n in sorted(os.listdir(frames_dir)):
            if "frames/" + n not in listed:
                problem("frames/" + n + ": a frame file inquiry.json does not list")
    return before, period


def proven_keys(frames, city_keys):
    keys, rotations, revocations = {}, [], {}
    for f in frames:
        if not f.decoded:
            continue
        m, p = f.msg, f.msg["payload"]
        if p["kind"] == "key_rotation":
            rotations.append(f)
        if p["kind"] != "enrolment":
            continue
        if m["senderId"] != CITY or \
                not city_keys.verifies(m["keyId"], BODY_DOMAIN + f.body, f.signature, f.received_at):
            problem(f.where + ": a roster record not signed by a certified city key")
            continue
        e = p["value"]
        if e["action"] == "enrol":
            if key_id(bytes.fromhex(e["signPublic"])) != e["keyId"]:
                problem(f.where + ": enrolment record whose key id is not its key's")
                continue
            keys[e["keyId"]] = (e["provider"], bytes.fromhex(e["signPublic"]))
        elif e["action"] == "revoke":
            revocations.setdefault(e["keyId"], e["effectiveAt"])
    changed = True
    while changed:
        changed = False
        for f in rotations:
            r = f.msg["payload"]["value"]
            signer = keys.get(f.msg["keyId"])
            if r["newKeyId"] in keys or signer is None or signer[0] != f.msg["senderId"]:
                continue
            if verifies(signer[1], BODY_DOMAIN + f.body, f.signature):
                keys[r["newKeyId"]] = (f.msg["senderId"], bytes.fromhex(r["newSignPublic"]))
                changed = True
    return keys


def check_signatures(frames, city_keys):
    keys = proven_keys(frames, city_keys)
    opened_batches = {}
    for f in frames:
        if not f.decoded:
            continue
        m = f.msg
        if m["senderId"] == CITY:
            if not city_keys.verifies(m["keyId"], BODY_DOMAIN + f.body, f.signature,
                                      f.received_at):
                problem(f.where + ": the city's signature does not verify")
            continue
        k = keys.get(m["keyId"])
        if k is None or k[0] != m["senderId"]:
            problem("%s (%s key %s): no key proven by the city's roster records signs it"
                    % (f.where, m["senderId"], m["keyId"]))
        elif f.signature == bytes(64) and f.batch_id:
            # Issue 16: the signature is its batch's, exported once per file as sent.
            frame = BATCHES.get(f.batch_id)
            opened = opened_batches.get((f.batch_id, k[1]))
            if opened is None and frame is not None:
                try:
                    opened = open_batch(frame, k[1]) or []
                except (CapnpError, IndexError, struct.error):
                    opened = []
                opened_batches[(f.batch_id, k[1])] = opened
            if not opened or f.batch_index >= len(opened) or opened[f.batch_index] != f.body:
                problem("%s (%s seq %d): its batch %d does not verify or does not hold it"
                        % (f.where, m["senderId"], m["seq"], f.batch_id))
        elif not verifies(k[1], BODY_DOMAIN + f.body, f.signature):
            problem("%s (%s seq %d): the signature does not verify"
                    % (f.where, m["senderId"], m["seq"]))


def check_chains(frames):
    heads, bodies = {}, set()
    for f in frames:
        if not f.decoded:
            continue
        m = f.msg
        chain = "%s key %s" % (m["senderId"], m["keyId"])
        h = heads.get(chain)
        if h is None:
            if m["seq"] == 1 and m["prevHash"]:
                problem(f.where + " (" + chain + "): seq 1 names a predecessor")
        elif m["seq"] != h[0] + 1:
            gap = m["seq"] - h[0] - 1
            problem("%s (%s): seq %d follows seq %d (%s): %s" % (
                f.where, chain, m["seq"], h[0], h[2],
                "%d frame(s) missing" % gap if gap > 0 else "repeated or out of order"))
        elif bytes.fromhex(m["prevHash"]) != h[1]:
            problem("%s (%s seq %d): does not link to the frame before it in its chain"
                    % (f.where, chain, m["seq"]))
        heads[chain] = (m["seq"], f.hash, f.where)
        if f.hash in bodies:
            problem(f.where + ": the same body appears twice")
        bodies.add(f.hash)


def merkle_root(leaves):
    if not leaves:
        return h256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return h256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


def head_leaf(sender, key, seq, body_hash):
    s = sender.encode("utf-8")
    return h256(b"\x00" + bytes([len(s)]) + s + bytes.fromhex(key).ljust(8, b"\0")[:8] +
                struct.pack(">Q", seq) + body_hash.ljust(32, b"\0")[:32])


def check_checkpoints(root, meta, before, period, city_keys):
    try:
        lines = read(os.path.join(root, "checkpoints.jsonl")).splitlines()
    except OSError:
        problem("checkpoints.jsonl: missing; the period's completeness is unproven")
        return
    cps, prev = [], None
    for n, line in enumerate(lines, 1):
        where = "checkpoints.jsonl line %d" % n
        try:
            j = json.loads(line)
            header, sig = bytes.fromhex(j["header"]), bytes.fromhex(j["signature"])
        except (ValueError, KeyError, TypeError):
            problem(where + ": not a checkpoint line")
            continue
        if len(header) != 133 or header[0] != 1:
            problem(where + ": the header does not decode")
            continue
        number, = struct.unpack_from(">Q", header, 1)
        cp = {"number": number, "prev": header[9:41],
              "count": struct.unpack_from(">Q", header, 41)[0], "digest": header[49:81],
              "heads": struct.unpack_from(">I", header, 81)[0], "root": header[85:117],
              "signed_at": struct.unpack_from(">q", header, 117)[0]}
        if not city_keys.verifies(header[125:133].hex(), CHECKPOINT_DOMAIN + header, sig,
                                  cp["signed_at"]):
            problem("%s (checkpoint %d): the city's signature does not verify" % (where, number))
        if cps:
            if number != cps[-1]["number"] + 1:
                problem("%s: checkpoint %d follows %d (checkpoints missing)"
                        % (where, number, cps[-1]["number"]))
            elif cp["prev"] != prev:
                problem("%s: checkpoint %d is not chained to the one before it" % (where, number))
        prev = h256(header)
        cps.append(cp)
    frames_before = meta.get("frames_before_period", 0)
    nxt, digest = 0, bytes(32)
    if meta.get("checkpoint_before") is not None:
        if not cps or cps[0]["number"] != meta["checkpoint_before"]:
            problem("checkpoints.jsonl: does not start at checkpoint %s, the one the period "
                    "starts after" % meta["checkpoint_before"])
            return
        if cps[0]["count"] != frames_before:
            problem("inquiry.json: frames_before_period is not checkpoint %d's frame count"
                    % cps[0]["number"])
        digest, nxt = cps[0]["digest"], 1
    elif frames_before or before:
        problem("inquiry.json: frames before the period but no checkpoint before it")
    count, heads, start = frames_before, {}, 0
    for i, f in enumerate(period):
        body_hash = f.hash if f.decoded else h256(f.envelope)
        count += 1
        digest = h256(digest + body_hash)
        if f.decoded:
            heads[(f.msg["senderId"], f.msg["keyId"])] = (f.msg["seq"], body_hash)
        while nxt < len(cps) and cps[nxt]["count"] < count:
            problem("checkpoints.jsonl: checkpoint %d covers %d frames, but the export passes "
                    "that count at a different frame: frames were removed or added before %s"
                    % (cps[nxt]["number"], cps[nxt]["count"], f.where))
            nxt += 1
        if nxt < len(cps) and cps[nxt]["count"] == count:
            cp = cps[nxt]
            same = digest == cp["digest"]
            if not same:
                problem("%s: the frames up to here are not the ones checkpoint %d signed "
                        "(removed, added, changed or reordered)" % (f.where, cp["number"]))
                digest = cp["digest"]
            leaves = [head_leaf(s, k, seq, bh) for (s, k), (seq, bh) in sorted(heads.items())]
            if len(leaves) != cp["heads"] or merkle_root(leaves) != cp["root"]:
                problem("%s: the chain heads checkpoint %d signed are not the export's"
                        % (f.where, cp["number"]))
            for g in period[start:i + 1] if same else []:
                if g.received_at > cp["signed_at"]:
                    problem("%s: received after checkpoint %d that covers it was signed (its "
                            "received time was changed)" % (g.where, cp["number"]))
            start, heads = i + 1, {}
            nxt += 1
    if nxt < len(cps):
        problem("checkpoints.jsonl: checkpoint %d covers %d frames, but the export holds only "
                "%d: frames were removed" % (cps[nxt]["number"], cps[nxt]["count"], count))
    if meta.get("checkpoint_after") is not None:
        if not cps or cps[-1]["number"] != meta["checkpoint_after"]:
            problem("checkpoints.jsonl: does not reach checkpoint %s, the one that covers the "
                    "period's end" % meta["checkpoint_after"])


class Picture:
    """What the archive says at a moment: the replay's facts this script compares."""

    def __init__(self):
        self.owner = {}       # unit code -> provider
        self.providers = set()
        self.status = {}      # (mode, code) -> (unit status value, sent_at, received_at)
        self.continuity = {}  # (mode, provider) -> value
        self.heads = {}       # (sender, key) -> seq
        self.level = "normal"
        self.frames = 0

    def apply(self, f):
        self.frames += 1
        if not f.decoded:
            return
        m, p = f.msg, f.msg["payload"]
        sender, kind, v = m["senderId"], p["kind"], p["value"]
        self.heads[(sender, m["keyId"])] = m["seq"]
        if sender != CITY:
            self.providers.add(sender)
        if kind in ("unit_status", "capacity"):
            self.owner[v["unitCode"]] = sender
        if kind == "unit_status":
            self.status[(m["mode"], v["unitCode"])] = (v, m["sentAt"], f.received_at, sender)
        elif kind == "continuity":
            self.continuity[(m["mode"], sender)] = v
        elif sender == CITY and kind == "enrolment":
            if v["action"] in ("enrol", "units"):
                self.providers.add(v["provider"])
                for u in v["units"]:
                    self.owner[u] = v["provider"]
        elif sender == CITY and kind == "roster_info":
            # A unit's metadata makes it a unit of its provider, unless another one owns it.
            if v["kind"] == "providerName":
                self.providers.add(v["provider"])
            for u in v["units"]:
                if self.owner.get(u["code"], v["provider"]) == v["provider"]:
                    self.providers.add(v["provider"])
                    self.owner[u["code"]] = v["provider"]
        elif sender == CITY and kind == "directive":
            if v["level"] != "unchanged" and m["mode"] == "actual":
                self.level = v["level"]

    def unit(self, code, at):
        s = self.status.get(("actual", code))
        if s is None:
            return {"operational": "unknown", "reported_at": None, "age_s": None}
        v, sent, received, _ = s
        return {"operational": v["operational"], "reason": v["reason"], "note": v["note"],
                "pupils_present": count_or_null(v["pupilsPresent"]),
                "pupils_enrolled": count_or_null(v["pupilsEnrolled"]),
                "staff_available": count_or_null(v["staffAvailable"]),
                "staff_total": count_or_null(v["staffTotal"]),
                "backup_hours": count_or_null(v["backupHours"]),
                "food_days": count_or_null(v["foodDays"]),
                "electricity": v["electricity"], "critical_care": v["criticalCare"],
                "special_support": v["specialSupport"],
                "resources": {k: v[k] for k in ("heating", "water", "food", "it", "telephony")},
                "reported_at": rfc3339(sent), "received_at": rfc3339(received),
                "expected_reopen": time_or_null(v["expectedReopen"]),
                "valid_until": time_or_null(v["validUntil"]),
                "age_s": max(0, at - sent) // 1000}


def parse_rfc3339(text):
    t = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    ms = int(text[20:23]) if len(text) > 23 and text[19] == "." else 0
    return int((t - datetime.datetime(1970, 1, 1)).total_seconds()) * 1000 + ms


def compare_picture(rel, want, picture, at):
    def differ(what, theirs, ours):
        problem("%s: %s is %s, the frames say %s" % (rel, what, json.dumps(theirs),
                                                     json.dumps(ours)))
    if picture.get("frames") != want.frames:
        differ("the archive's size (frames)", picture.get("frames"), want.frames)
    if picture.get("level") != want.level:
        differ("the city's level", picture.get("level"), want.level)
    seen_units = set()
    listed = [p.get("id") for p in picture.get("providers", [])]
    if sorted(listed) != sorted(want.providers):
        differ("the providers", sorted(listed), sorted(want.providers))
    for p in picture.get("providers", []):
        pid = p.get("id")
        last = max([seq for (s, _), seq in want.heads.items() if s == pid] or [0])
        if p.get("last_seq") != last:
            differ("provider %s last_seq" % pid, p.get("last_seq"), last)
        c = want.continuity.get(("actual", pid))
        state = c["state"] if c else "ok"
        if p.get("continuity") != state:
            differ("provider %s continuity" % pid, p.get("continuity"), state)
        since = time_or_null(c["fromDate"]) if c else None
        if p.get("continuity_from") != since:
            differ("provider %s continuity_from" % pid, p.get("continuity_from"), since)
        for u in p.get("units", []):
            code = u.get("code")
            seen_units.add(code)
            if want.owner.get(code) != pid:
                differ("unit %s's provider" % code, pid, want.owner.get(code))
            for key, value in want.unit(code, at).items():
                if u.get(key) != value:
                    differ("unit %s %s" % (code, key), u.get(key), value)
    missing = set(want.owner) - seen_units
    if missing:
        differ("the units", sorted(seen_units), sorted(want.owner))
    others = sorted([[mode, code, s[3], s[0]["operational"],
                      rfc3339(s[1])] for (mode, code), s in want.status.items()
                     if mode != "actual"])
    theirs = sorted([[o.get("mode"), o.get("code"), o.get("provider"), o.get("operational"),
                      o.get("reported_at")] for o in picture.get("other_modes", [])])
    if theirs != others:
        differ("other modes", theirs, others)


def unformula(text):
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") \
        else text


def compare_csv(rel, want, text, at):
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    seen = set()
    for n, row in enumerate(rows, 2):
        code = row.get("unit_code", "")
        seen.add(code)
        u = want.unit(code, at)
        checks = {"provider_id": want.owner.get(code, ""), "state": u["operational"],
                  "reported_at": u["reported_at"] or "",
                  "age_s": "" if u["age_s"] is None else str(u["age_s"])}
        if u["reported_at"]:
            for column, key in (("reason", "reason"), ("note", "note"),
                                ("pupils_present", "pupils_present"),
                                ("pupils_enrolled", "pupils_enrolled"),
                                ("staff_available", "staff_available"),
                                ("staff_total", "staff_total"), ("electricity", "electricity")):
                checks[column] = "" if u[key] is None else str(u[key])
        for column, value in checks.items():
            if unformula(row.get(column, "")) != value:
                problem("%s line %d: unit %s %s is %s, the frames say %s" % (
                    rel, n, code, column, json.dumps(row.get(column)), json.dumps(value)))
    if seen != set(want.owner):
        problem("%s: its units are not the ones the frames name" % rel)


def check_pictures(root, meta, before, period):
    want = Picture()
    for f in before:
        want.apply(f)
    want.frames = meta.get("frames_before_period", 0)
    nxt = 0
    for p in meta["pictures"]:
        at = parse_rfc3339(p["at"])
        while nxt < len(period) and period[nxt].received_at <= at:
            want.apply(period[nxt])
            nxt += 1
        try:
            picture = json.loads(read(os.path.join(root, p["json"])))
            compare_picture(p["json"], want, picture, at)
        except OSError:
            problem(p["json"] + ": missing (the picture at %s)" % p["at"])
        except ValueError:
            problem(p["json"] + ": not JSON")
        try:
            compare_csv(p["csv"], want, read(os.path.join(root, p["csv"])), at)
        except OSError:
            problem(p["csv"] + ": missing (the picture at %s)" % p["at"])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    try:
        city_key = load_city_key(root)
    except (OSError, KeyError, ValueError):
        print("city.pub is missing or malformed: without the city's key nothing can be verified",
              file=sys.stderr)
        return 2
    check_manifest(root, city_key)
    try:
        meta = json.loads(read(os.path.join(root, "inquiry.json")))
        if meta.get("format") != 1:
            raise ValueError("format")
    except (OSError, ValueError):
        problem("inquiry.json: missing or not an inquiry export of format 1")
        meta = None
    frames = 0
    if meta is not None:
        before, period = load_frames(root, meta)
        frames = len(before) + len(period)
        city_keys = city_keys_of(load_root_key(root, city_key), before + period)
        if city_keys.key_for(key_id(city_key), -2**63) is None:
            problem("city.pub: the exporting broker's key is neither the city's root nor "
                    "certified by it")
        check_signatures(before + period, city_keys)
        check_chains(before + period)
        check_checkpoints(root, meta, before, period, city_keys)
        check_pictures(root, meta, before, period)
        if meta.get("checkpoint_after") is None:
            print("note: %s frame(s) at the period's end were not yet covered by a checkpoint: "
                  "their completeness is not proven" % meta.get("uncovered_frames"))
    for p in problems:
        print("PROBLEM " + p)
    print("city key %s; %d frames checked" % (key_id(city_key), frames))
    if problems:
        print("EXPORT NOT INTACT (%d problem(s))" % len(problems))
        return 1
    print("export intact: every file, signature, chain, checkpoint and picture fact checks out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
