// CRC-32 of a whole file from the CRCs of its pieces, so that workers can hash the pieces they
// compress in parallel (zlib.crc32 does ~4 GiB/s per piece; yazl's JavaScript CRC ~430 MiB/s).
//
// In GF(2)[x] modulo the CRC-32 polynomial, crc(A‖B) = crc(A)·x^(8·|B|) ⊕ crc(B); the pre- and
// post-inversions of CRC-32 cancel out in this identity. Polynomials are 32-bit words in the
// reflected bit order CRC-32 uses (x^0 is the top bit).

const POLY = 0xedb88320;

/** a(x)·b(x) mod P(x). */
function multMod(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: number[] = (() => {
  const t: number[] = [];
  let p = 0x40000000; // x^1
  for (let k = 0; k < 64; k++) {
    t.push(p);
    p = multMod(p, p);
  }
  return t;
})();

/** x^(8·n) mod P for a byte count n (any safe integer). */
function xPow8n(n: number): number {
  let p = 0x80000000; // x^0
  let k = 3; // 8·n = n·2^3
  while (n > 0) {
    if (n % 2 === 1) p = multMod(X2N[k % 64]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A‖B from crc(A), crc(B) and |B|. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multMod(xPow8n(lengthB), crcA) ^ crcB) >>> 0;
}
