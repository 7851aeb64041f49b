/** `tickflow replay`: not built yet (issue #4). Says so and fails, never pretends. */
export default function replay(): Promise<number> {
  process.stderr.write('tickflow replay: not built yet (issue #4)\n')
  return Promise.resolve(1)
}
