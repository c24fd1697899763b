/**
 * The statistics rehearse's judgements rest on, pure: binomial tails (exact, summed from the mode side so a
 * tail never underflows to 0 when it is really ~1), the order-statistic interval of a quantile, and
 * Wilson's interval for a rate.
 */

/** ln C(n, k). */
function logChoose(n: number, k: number): number {
  const r = Math.min(k, n - k);
  let s = 0;
  for (let i = 1; i <= r; i++) s += Math.log((n - r + i) / i);
  return s;
}

/** P(X = k) for X ~ Binomial(n, p), 0 < p < 1. */
const binomialTerm = (n: number, p: number, k: number) =>
  Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));

/**
 * P(X ≥ k) for X ~ Binomial(n, p). Summed from the term nearest the mode outwards (the largest first), so a
 * tail on the far side of the mean never underflows to 0 when it is really ~1.
 */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  if (k <= n * p) return Math.max(0, 1 - sumDown(n, p, k - 1));
  let total = 0;
  let term = binomialTerm(n, p, k);
  for (let j = k; j <= n && term > 0; j++) {
    total += term;
    if (term < total * 1e-12) break;
    term *= ((n - j) / (j + 1)) * (p / (1 - p));
  }
  return Math.min(1, total);
}

/** P(X ≤ k), summed from k down. */
function sumDown(n: number, p: number, k: number): number {
  let total = 0;
  let term = binomialTerm(n, p, k);
  for (let j = k; j >= 0 && term > 0; j--) {
    total += term;
    if (term < total * 1e-12) break;
    term *= (j / (n - j + 1)) * ((1 - p) / p);
  }
  return Math.min(1, total);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLowerTail(n: number, p: number, k: number): number {
  return 1 - binomialUpperTail(n, p, k + 1);
}

/**
 * The 1-based ranks (lo, hi) such that the sample's lo-th and hi-th smallest values bracket the population's
 * q-quantile with at least `confidence` (the binomial interval on the rank: the count of samples below the
 * quantile is Binomial(n, q)). A rank beyond the sample is clamped to its minimum or maximum, which then bounds
 * with somewhat less confidence on that side. Null below `minSamplesFor(q)`: too few samples to say anything.
 */
export function quantileRankInterval(n: number, q: number, confidence = 0.95): { lo: number; hi: number } | null {
  if (n < minSamplesFor(q)) return null;
  const tail = (1 - confidence) / 2;
  // lo: the largest rank with P(K ≤ lo − 1) ≤ tail; hi: the smallest with P(K ≥ hi) ≤ tail. K ~ Binomial(n, q).
  const centre = Math.max(1, Math.min(n, Math.round(n * q)));
  let lo = centre;
  const variance = n * q * (1 - q);
  if (variance >= 50) {
    // The normal approximation to the binomial is within a rank of the exact bounds here, at O(1).
    const z = normalQuantile(1 - tail);
    const spread = z * Math.sqrt(variance);
    return { lo: clamp(Math.floor(n * q - spread), 1, n), hi: clamp(Math.ceil(n * q + spread) + 1, 1, n) };
  }
  while (lo > 1 && binomialLowerTail(n, q, lo - 1) > tail) lo--;
  let hi = centre;
  while (hi < n && binomialUpperTail(n, q, hi) > tail) hi++;
  return { lo, hi };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The standard normal's quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (k: number[], x: number) => k.reduce((acc, v) => acc * x + v, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** Samples a q-quantile needs before it is judged: one at least must lie above it (a p99 needs 100), and
 * never fewer than 10. */
export function minSamplesFor(q: number): number {
  return Math.max(10, Math.ceil(1 / (1 - q) - 1e-9));
}

/** Wilson's score interval for `failures` of `n` (z = 1.96: 95%); null for no samples. */
export function wilsonInterval(failures: number, n: number, z = 1.96): { lo: number; hi: number } | null {
  if (n <= 0) return null;
  const p = failures / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
