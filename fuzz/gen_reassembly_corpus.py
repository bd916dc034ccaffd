# Seed corpus for fuzz_tcp_reassembly (format in the fuzzer's header comment).
# Run from anywhere: python3 fuzz/gen_reassembly_corpus.py (rewrites the seed files).
import os, random, struct
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'tcp_reassembly')
SYN, FIN, RST, COR = 0x04, 0x08, 0x10, 0x20
def hdr(per=0xff, tot=0xff, segs=31, back=100):
    return bytes([per, tot, segs]) + struct.pack('>H', back)
def seg(stream, off, ln, flags=0, mode=0):
    b = bytes([stream | flags | (mode << 6)])
    if mode == 0: b += struct.pack('>H', off)
    elif mode == 1: b += bytes([off])
    elif mode == 2: b += struct.pack('>H', off)
    else: b += struct.pack('>I', off)
    return b + bytes([ln if ln < 0x80 else 0x80 | (ln // 64)])
def ctl(stream, close=True):
    return bytes([3 | (stream << 2) | (0x10 if close else 0)])
files = {}
# in order, both directions, across the wrap (base 100 below 2^32)
files['in_order'] = hdr() + seg(0, 0, 0, SYN) + b''.join(seg(0, 1 + 100 * i, 100) for i in range(5)) \
    + seg(1, 500, 0, SYN) + b''.join(seg(1, 501 + 50 * i, 50) for i in range(4))
files['reversed'] = hdr() + seg(0, 0, 0, SYN) + b''.join(seg(0, 1 + 40 * i, 40) for i in reversed(range(6)))
files['overlap_same'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 11, 20) + seg(0, 5, 40) + seg(0, 1, 10)
files['overlap_corrupt'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 11, 20, COR) + seg(0, 5, 40) + seg(0, 1, 10)
files['retrans'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 1, 50) + seg(0, 1, 50) + seg(0, 20, 60, COR)
files['midstream'] = hdr() + seg(0, 300, 30) + seg(0, 330, 30) + seg(0, 250, 60)
files['syn_data'] = hdr() + seg(0, 0, 20, SYN) + seg(0, 21, 20) + seg(0, 0, 20, SYN)
files['fin'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 41, 20, FIN) + seg(0, 1, 40) + seg(0, 61, 30)
files['fin_hole_close'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 1, 10) + seg(0, 31, 10) + seg(0, 61, 0, FIN) + ctl(0)
files['rst'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 1, 0, RST) + seg(0, 1, 30)
files['stream_limit'] = hdr(per=6, segs=31) + seg(0, 0, 0, SYN) + b''.join(seg(0, 11 + 20 * i, 10) for i in range(8))
files['segment_cap'] = hdr(segs=2) + seg(0, 0, 0, SYN) + b''.join(seg(0, 3 + 2 * i, 1) for i in range(8))
files['global_limit'] = hdr(tot=4) + seg(0, 0, 0, SYN) + seg(1, 0, 0, SYN) + seg(0, 51, 20) + seg(1, 51, 20) \
    + seg(0, 101, 20) + seg(1, 101, 20) + seg(2, 0, 0, SYN) + seg(2, 51, 20)
files['big_dropped'] = hdr(per=0) + seg(0, 0, 0, SYN) + seg(0, 101, 640)
files['far_ahead'] = hdr() + seg(0, 0, 0, SYN) + seg(0, ((2**32 - 101) + 1 + (1 << 30) - 5) % 2**32, 20, mode=3) + seg(0, 1, 10)
files['far_mode2'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 0x1000, 30, mode=2) + seg(0, 1, 30)
files['behind'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 1, 50) + seg(0, 30, 60, mode=1)
files['no_consumer'] = hdr() + seg(2, 0, 0, SYN) + seg(2, 21, 20) + seg(2, 21, 20, COR) + seg(2, 1, 20) + seg(2, 41, 20)
files['no_consumer_then_consumer'] = hdr() + seg(2, 0, 0, SYN) + seg(2, 21, 20) + seg(2, 1, 20, COR)
files['close_release'] = hdr() + seg(0, 0, 0, SYN) + seg(0, 21, 20) + ctl(0, close=False) + seg(0, 61, 20) + seg(0, 1, 20) + ctl(0)
files['zero_len'] = hdr() + seg(0, 0, 0) + seg(0, 50, 0) + seg(0, 0, 10)
files['spanning'] = hdr() + seg(0, 0, 0, SYN) + b''.join(seg(0, 11 + 10 * i, 3) for i in range(6)) + seg(0, 5, 70) + seg(0, 1, 10)
files['wrap_ooo'] = hdr(back=5) + seg(0, 0, 0, SYN) + seg(0, 30, 10) + seg(0, 1, 20) + seg(0, 21, 9)
random.seed(7)
for n in range(14):
    b = bytearray(hdr(per=random.randrange(256), tot=random.randrange(256), segs=random.randrange(32), back=random.randrange(300)))
    for _ in range(random.randrange(5, 40)):
        r = random.random()
        if r < 0.05:
            b += ctl(random.randrange(3), random.random() < 0.5)
            continue
        st = random.choice([0, 0, 1, 2])
        flags = 0
        if random.random() < 0.05: flags |= SYN
        if random.random() < 0.05: flags |= FIN
        if random.random() < 0.02: flags |= RST
        if random.random() < 0.1: flags |= COR
        b += seg(st, random.randrange(0, 600), random.randrange(0, 120), flags)
    files[f'random_{n:02d}'] = bytes(b)
for name, data in files.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print(len(files))
