/**
 * Polls `check` until it stops throwing (or returns true), instead of sleeping
 * a fixed time (house style 2.13). Rejects with the last failure after `timeoutMs`.
 */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 5000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown = null
  for (;;) {
    try {
      const r = await check()
      if (r !== false) return
      last = new Error('condition returned false')
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(String(last))
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
