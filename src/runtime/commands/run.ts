/** `tickflow run`: not built yet (issue #6). Says so and fails, never pretends. */
export default function run(): Promise<number> {
  process.stderr.write('tickflow run: not built yet (issue #6)\n')
  return Promise.resolve(1)
}
