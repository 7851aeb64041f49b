/** `tickflow sim`: not built yet (issue #5). Says so and fails, never pretends. */
export default function sim(): Promise<number> {
  process.stderr.write('tickflow sim: not built yet (issue #5)\n')
  return Promise.resolve(1)
}
