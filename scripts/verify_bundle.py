#!/usr/bin/env python3
"""Independent verifier of casetrail evidence bundles (docs/AUDIT.md).

Python 3 standard library only, so that an auditor need not trust the
casetrail binary: it recomputes every event's chain hash (docs/FORMATS.md,
"Hash chain", both chain versions: 1 with casetrail's canonical JSON, 2 with
RFC 8785 JCS, implemented below), the RFC 9162 leaf of the last event and its inclusion proof
up to the signed root, and checks the tree head's Ed25519 signature (RFC 8032,
implemented below because the standard library has no Ed25519).

    python3 scripts/verify_bundle.py BUNDLE.json --public-key HEX
    python3 scripts/verify_bundle.py --self-test

Exit 0 and "sound: ..." when the bundle is sound; exit 1 and the first bad
event ("first bad event: #INDEX (sequence N): ...") or "bad bundle: ..."
otherwise. The verdict's first words are the same as `casetrail audit verify`.
"""

import datetime
import decimal
import hashlib
import json
import math
import re
import struct
import sys

# ---------------------------------------------------------------- Ed25519 (RFC 8032)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * D * t1 * t2 % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(scalar, point):
    result = IDENTITY
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _decode_point(data):
    """The point encoded by 32 bytes, or None (non-canonical or not on the curve)."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def _encode_point(point):
    x, y, z, _ = point
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _small_order(point):
    return _encode_point(_mul(8, point)) == _encode_point(IDENTITY)


BASE = _decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def ed25519_verify(public_key, message, signature):
    """Strict verification: canonical encodings, S < L, no small-order A or R."""
    if len(signature) != 64:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    if a is None or r is None or _small_order(a) or _small_order(r):
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    minus_a = ((P - a[0]) % P, a[1], a[2], (P - a[3]) % P)
    check = _add(_mul(s, BASE), _mul(k, minus_a))
    return _encode_point(check) == signature[:32]


# ---------------------------------------------------------------- canonical JSON and hashes


def _canonical(value, name_order, number):
    """No whitespace, object names sorted by `name_order`, strings escaped by `_string`."""
    if isinstance(value, dict):
        names = sorted(value, key=name_order)
        return "{" + ",".join(_string(k) + ":" + _canonical(value[k], name_order, number) for k in names) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v, name_order, number) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return number(value)


def canonical(value):
    """Chain version 1 (docs/FORMATS.md "Hash chain"): sorted keys (UTF-8 bytes), no whitespace."""
    return _canonical(value, lambda k: k.encode("utf-8"), lambda v: str(v) if isinstance(v, int) else repr(v))


_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(text):
    out = []
    for ch in text:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def jcs(value):
    """Chain version 2: RFC 8785 (JCS). Member names sorted by UTF-16 code
    units, strings escaped as JSON.stringify does, numbers as ECMAScript
    writes doubles. A lone surrogate cannot be encoded: ValueError."""
    return _canonical(value, lambda k: k.encode("utf-16-be"), lambda v: es_number(float(v)))


def es_number(x):
    """ECMAScript Number::toString of a finite double (RFC 8785 section 3.2.2.3):
    the shortest digits that read back as x (Python's repr finds the same)."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError("a number that is not finite")
    if x == 0:
        return "0"
    _, digits, exponent = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    s = "".join(map(str, digits))
    k, n = len(s), exponent + len(digits)
    if k <= n <= 21:
        body = s + "0" * (n - k)
    elif 0 < n <= 21:
        body = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * -n + s
    else:
        e = n - 1
        body = s[0] + ("." + s[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return ("-" if x < 0 else "") + body


def _f(data):
    return struct.pack(">I", len(data)) + data


# Each chain version's domain tag and canonical JSON.
CHAIN_VERSIONS = {1: (b"casetrail-event-v1", canonical), 2: (b"casetrail-event-v2", jcs)}


def chain_version(event):
    """The event's chain version; absent in bundles older than version 2 (all version 1)."""
    version = event.get("chain_version", 1)
    if type(version) is not int:
        raise ValueError("chain_version is not an integer")
    return version


def chain_hash(previous, stream_type, stream_id, event):
    tag, canonical_form = CHAIN_VERSIONS[chain_version(event)]
    h = hashlib.sha256()
    h.update(_f(tag))
    h.update(_f(previous))
    h.update(_f(stream_type.encode("utf-8")))
    h.update(_f(stream_id.encode("utf-8")))
    h.update(struct.pack(">q", event["sequence"]))
    h.update(_f(event["event_type"].encode("utf-8")))
    h.update(_f(event["event_version"].encode("utf-8")))
    h.update(_f(canonical_form(event["payload"]).encode("utf-8")))
    h.update(_f(canonical_form(event["metadata"]).encode("utf-8")))
    h.update(struct.pack(">q", event["recorded_at_us"]))
    return h.digest()


def leaf_hash(leaf_index, stream_type, stream_id, sequence, chain):
    data = (
        _f(b"casetrail-leaf-v1")
        + struct.pack(">Q", leaf_index)
        + _f(stream_type.encode("utf-8"))
        + _f(stream_id.encode("utf-8"))
        + struct.pack(">q", sequence)
        + chain
    )
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    f, s, r = index, size - 1, leaf
    for p in path:
        if s == 0:
            return False
        if f & 1 or f == s:
            r = _node(p, r)
            while not f & 1 and f != 0:
                f >>= 1
                s >>= 1
        else:
            r = _node(r, p)
        f >>= 1
        s >>= 1
    return s == 0 and r == root


_TIME = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def micros(text):
    """Microseconds since the epoch of an RFC 3339 time (sub-microseconds dropped)."""
    m = _TIME.match(text)
    if not m:
        raise ValueError("not an RFC 3339 time: %r" % text)
    zone = datetime.timezone.utc
    if m.group(8) != "Z":
        sign = -1 if m.group(8)[0] == "-" else 1
        hours, minutes = int(m.group(8)[1:3]), int(m.group(8)[4:6])
        zone = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    at = datetime.datetime(*(int(m.group(i)) for i in range(1, 7)), tzinfo=zone)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    fraction = int((m.group(7) or "0").ljust(9, "0")[:6])
    return (at - epoch) // datetime.timedelta(microseconds=1) + fraction


def _hex32(text, what):
    data = bytes.fromhex(text)
    if len(data) != 32:
        raise ValueError(what + " is not 32 bytes")
    return data


# ---------------------------------------------------------------- the bundle


class Unsound(Exception):
    def __init__(self, reason, index=None, sequence=None):
        super().__init__(reason)
        self.reason, self.index, self.sequence = reason, index, sequence

    def __str__(self):
        if self.index is None:
            return "bad bundle: " + self.reason
        return "first bad event: #%d (sequence %d): %s" % (self.index, self.sequence, self.reason)


def verify_tree_head(head, public_key):
    if head.get("format") != "casetrail-tree-head-v1":
        raise Unsound("unknown tree head format")
    try:
        root = _hex32(head["root"], "the root")
        signature = bytes.fromhex(head["signature"])
        message = (
            _f(b"casetrail-tree-head-v1")
            + struct.pack(">Q", head["size"])
            + struct.pack(">q", micros(head["timestamp"]))
            + root
        )
    except (KeyError, ValueError, TypeError, struct.error) as e:
        raise Unsound("the tree head is malformed: %s" % e)
    if head.get("public_key", "").lower() != public_key.hex():
        raise Unsound("the tree head names another signing key than the trusted one")
    if not ed25519_verify(public_key, message, signature):
        raise Unsound("the tree head's signature does not verify with the trusted key")
    return root


def verify_bundle(bundle, public_key):
    """Returns a one-line verdict of a sound bundle or raises Unsound."""
    if not isinstance(bundle, dict) or bundle.get("format") != "casetrail-evidence-bundle-v1":
        raise Unsound("unknown bundle format")
    head = bundle.get("tree_head") or {}
    root = verify_tree_head(head, public_key)
    events = bundle.get("events") or []
    if not events:
        raise Unsound("the bundle holds no event")
    stream_type, stream_id = bundle["stream_type"], bundle["stream_id"]
    previous = bytes(32)
    for i, event in enumerate(events):
        if event["sequence"] != i + 1:
            raise Unsound("sequence %d where %d belongs" % (event["sequence"], i + 1), i, event["sequence"])
        if chain_version(event) not in CHAIN_VERSIONS:
            raise Unsound("chain version %d is not one this verifier knows (1 or 2)" % chain_version(event),
                          i, event["sequence"])
        recomputed = chain_hash(previous, stream_type, stream_id, event)
        if recomputed.hex() != event["hash"].lower():
            raise Unsound("its recomputed chain hash differs from the stored one", i, event["sequence"])
        previous = recomputed
    last = len(events) - 1
    inclusion = bundle["inclusion"]
    try:
        path = [_hex32(h, "a hash of the inclusion proof") for h in inclusion["path"]]
    except ValueError as e:
        raise Unsound(str(e), last, events[last]["sequence"])
    leaf = leaf_hash(inclusion["leaf_index"], stream_type, stream_id, events[last]["sequence"], previous)
    if not verify_inclusion(inclusion["leaf_index"], head["size"], leaf, path, root):
        raise Unsound("the last event is not in the signed tree", last, events[last]["sequence"])
    return "sound: %d events of %s %s, the last in the signed tree of %d entries at %s" % (
        len(events), stream_type, stream_id, head["size"], head["timestamp"])


def self_test():
    # RFC 8032 section 7.1, TEST 1 (empty message).
    key = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert ed25519_verify(key, b"", sig), "RFC 8032 test 1 must verify"
    assert not ed25519_verify(key, b"x", sig), "another message must not verify"
    bad = bytearray(sig)
    bad[5] ^= 1
    assert not ed25519_verify(key, b"", bytes(bad)), "an altered signature must not verify"
    assert canonical({"b": [1, "\u00e9\n\x01"], "a": None}) == '{"a":null,"b":[1,"\u00e9\\n\\u0001"]}'
    jcs_self_test()
    print("self-test passed")


def jcs_self_test():
    """RFC 8785's own examples (Appendix B numbers, sections 3.2.2 and 3.2.3)."""
    for bits, text in [
        ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ]:
        got = es_number(struct.unpack(">d", bytes.fromhex(bits))[0])
        assert got == text, "RFC 8785 Appendix B %s: %s, not %s" % (bits, got, text)
    example = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}')
    assert jcs(example) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'), jcs(example)
    names = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    assert jcs(names) == '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}', jcs(names)


def _not_json(name):
    raise ValueError("%s is not JSON" % name)


def _finite(text):
    """A JSON number read as a double; one beyond the doubles is refused, as the Rust verifier refuses it."""
    x = float(text)
    if math.isinf(x):
        raise ValueError("a number beyond the doubles")
    return x


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 4 or argv[2] != "--public-key":
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: verify_bundle.py BUNDLE.json --public-key HEX | --self-test", file=sys.stderr)
        return 2
    try:
        public_key = bytes.fromhex(argv[3])
        if len(public_key) != 32:
            raise ValueError
    except ValueError:
        print("--public-key must be 64 hexadecimal digits", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            bundle = json.load(f, parse_constant=_not_json, parse_float=_finite)
        print(verify_bundle(bundle, public_key))
        return 0
    except Unsound as e:
        print(e)
        return 1
    except (OSError, ValueError, KeyError, TypeError, OverflowError) as e:
        print("bad bundle: cannot read it: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
