/**
 * The `tickflow` command line. Parsing only (commander); every command's work
 * lives in src/runtime/commands/, loaded on demand so that `--help` stays fast.
 *
 * Exit status: 0 success, 1 the command failed, 2 usage error (unknown
 * command or option, bad argument) with a one-line error and the usage.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Exit code for usage errors. */
export const EXIT_USAGE = 2

type CommandModule = { default: (opts: Record<string, unknown>, args: string[]) => Promise<number> }

let commandExitCode = 0

async function runCommand(name: string, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const mod = (await import(`../runtime/commands/${name}.js`)) as CommandModule
  commandExitCode = await mod.default(opts, args)
}

export function buildProgram(): Command {
  const program = new Command('tickflow')
  program
    .description('Low-latency crypto trading engine: Binance adapters, exact decimals, pooled hot path, embedded Binance-compatible simulator.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      // One line of error; the usage follows from main().
      outputError: (str, write) => write(str.trim().split('\n')[0] + '\n'),
    })

  program
    .command('run')
    .description('run the engine (default: embedded simulator + example market maker)')
    .option('-c, --config <file>', 'YAML configuration file (see tickflow.example.yaml)')
    .option('--duration <seconds>', 'stop by itself after this many seconds', parsePositive)
    .option('--no-status', 'no live status line')
    .option('--record <file>', 'record every merged event to this .tfrec file (replay it with tickflow replay)')
    .action((opts: Record<string, unknown>) => runCommand('run', opts, []))

  program
    .command('sim')
    .description('run the Binance-compatible simulator on its own and print its URLs')
    .option('-p, --port <port>', 'port for REST and WebSocket (0 = any free port)', parsePort, 9443)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('-c, --config <file>', 'simulator configuration (accounts, symbols, faults)')
    .option('--replay <capture...>', 'replay recorded captures instead of the synthetic market')
    .option('--speed <factor>', 'replay speed (1 = original pace, 0 = as fast as possible)', parseNonNegative, 1)
    .option('--seed <n>', 'seed of the synthetic market', parseInteger, 1)
    .action((opts: Record<string, unknown>) => runCommand('sim', opts, []))

  program
    .command('replay')
    .description('replay a run recording (.tfrec) through a fresh merger and dispatcher, or recorded captures through the live decoders and book builders')
    .argument('<file...>', 'a run recording (.tfrec, from run --record), or capture files (cryptofeed .ws / hftbacktest .gz) of one session in order')
    .option('--verify', 'recording: check that every event gets the recorded seq, source and interleaving; captures: check sequences and books against the captured bookTickers')
    .option('--json', 'print one JSON object')
    .action((captures: string[], opts: Record<string, unknown>) => runCommand('replay', opts, captures))

  program
    .command('bench')
    .description('run benchmark scenarios (same as npm run bench)')
    .argument('[scenario...]', 'scenario names (default: all)')
    .option('--quick', 'short runs (under a minute in all)')
    .option('--json <file>', 'write results as JSON')
    .option('--list', 'list scenarios')
    .action((scenarios: string[], opts: Record<string, unknown>) => runCommand('bench', opts, scenarios))

  const journalOptions = (cmd: Command): Command =>
    cmd
      .option('--journal <file>', 'journal database (default: from config, or ./tickflow-journal.sqlite)')
      .option('--strategy <id>', 'only this strategy')
      .option('--instrument <symbol>', 'only this instrument (venue symbol)')
      .option('--since <time>', 'from this time (ISO 8601 or epoch ms)')
      .option('--until <time>', 'up to this time (ISO 8601 or epoch ms)')
      .option('--json', 'print JSON instead of a table')
      .addOption(new Option('--limit <n>', 'at most n rows').argParser(parsePositive))

  journalOptions(program.command('orders').description('list orders from the journal')).action((opts: Record<string, unknown>) =>
    runCommand('orders', opts, []),
  )
  journalOptions(program.command('fills').description('list fills from the journal')).action((opts: Record<string, unknown>) =>
    runCommand('fills', opts, []),
  )
  // Remember which command failed, so a usage error prints that command's usage.
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride((err) => {
      failedCommand = cmd
      throw err
    })
  }
  return program
}

let failedCommand: Command | null = null

function usageOf(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name())
  return `Usage: ${names.join(' ')} ${cmd.usage()}\nRun '${names.join(' ')} --help' for details.\n`
}

function parseInteger(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new InvalidArg(`expected an integer, got "${v}"`)
  return Number.parseInt(v, 10)
}

function parsePort(v: string): number {
  const n = parseInteger(v)
  if (n < 0 || n > 65535) throw new InvalidArg(`expected a port in 0..65535, got ${n}`)
  return n
}

function parsePositive(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArg(`expected a positive number, got "${v}"`)
  return n
}

function parseNonNegative(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new InvalidArg(`expected a number ≥ 0, got "${v}"`)
  return n
}

class InvalidArg extends CommanderError {
  constructor(message: string) {
    super(EXIT_USAGE, 'commander.invalidArgument', message)
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    commandExitCode = 0
    await program.parseAsync(argv, { from: 'user' })
    return commandExitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
      process.stderr.write(usageOf(failedCommand ?? program))
      return EXIT_USAGE
    }
    process.stderr.write(`tickflow: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
