/** Typed-array helpers shared by pooled types that carry price levels. */

/** Returns `arr` if it holds at least `n` slots, else a larger copy (doubling). */
export function ensureFloat64(arr: Float64Array, n: number): Float64Array {
  if (arr.length >= n) return arr
  let len = arr.length > 0 ? arr.length : 8
  while (len < n) len *= 2
  const out = new Float64Array(len)
  out.set(arr)
  return out
}

/** A copy of the first `n` slots of `src` into `dst` (grown when needed); returns dst. */
export function copyFloat64(dst: Float64Array, src: Float64Array, n: number): Float64Array {
  const out = ensureFloat64(dst, n)
  for (let i = 0; i < n; i++) out[i] = src[i]!
  return out
}
