/** `tickflow orders`: not built yet (issue #7). Says so and fails, never pretends. */
export default function orders(): Promise<number> {
  process.stderr.write('tickflow orders: not built yet (issue #7)\n')
  return Promise.resolve(1)
}
