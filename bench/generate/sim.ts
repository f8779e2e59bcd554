/** Binary min-heap on (t, q): the generators' event queue (time, then creation order). */
export class Heap<T extends { t: number; q: number }> {
  readonly a: T[] = [];
  get size(): number {
    return this.a.length;
  }
  push(it: T): void {
    const a = this.a;
    let i = a.length;
    a.push(it);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = a[p];
      if (pa.t < it.t || (pa.t === it.t && pa.q < it.q)) break;
      a[i] = pa;
      i = p;
    }
    a[i] = it;
  }
  pop(): T {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && (a[r].t < a[c].t || (a[r].t === a[c].t && a[r].q < a[c].q))) c = r;
        const ac = a[c];
        if (last.t < ac.t || (last.t === ac.t && last.q < ac.q)) break;
        a[i] = ac;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** mulberry32: small, fast, good enough for workload generation; same seed → same stream. */
export class Mulberry32 {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)];
  }
  /** exponential with the given mean */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[Math.floor(this.next() * 16)];
    return s;
  }
  alnum(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[Math.floor(this.next() * ALNUM.length)];
    return s;
  }
}

const HEX = '0123456789ABCDEF';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
