/** `tickflow fills`: not built yet (issue #7). Says so and fails, never pretends. */
export default function fills(): Promise<number> {
  process.stderr.write('tickflow fills: not built yet (issue #7)\n')
  return Promise.resolve(1)
}
