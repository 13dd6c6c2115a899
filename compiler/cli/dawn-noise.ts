// Dawn writes two lines to the process's standard error from C++ whenever it opens a Vulkan
// adapter whose driver reports "unlimited" dynamic buffers (lavapipe does): "Warning:
// maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …". They are
// not about the user's model and Dawn has no switch for them. Node cannot point file descriptor
// 2 elsewhere while a native call runs (it has no dup2), so a command that may open the device
// runs as a child process whose standard error passes through a filter that drops exactly those
// lines; everything else reaches the user unchanged and in order.
import { spawn } from 'node:child_process';
import { SPECS } from './commands/specs.js';

const NOISE =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const NOISE_START = 'Warning: maxDynamic';

/** Marks the child: it runs the command itself. */
const CHILD = 'MDL_STDERR_FILTERED';
/** The parent's standard error is a terminal of this many columns (progress bars redraw in place). */
const TTY_COLUMNS = 'MDL_STDERR_TTY_COLUMNS';

/** Commands that may open the WebGPU device: those that take --route (the others never load Dawn). */
const DEVICE_COMMANDS: ReadonlySet<string> = new Set(
  Object.values(SPECS)
    .filter((s) => 'route' in s.flags)
    .map((s) => s.name),
);

/**
 * Drops Dawn's limit warnings from a stream of text. Whole lines are judged; a partial line is
 * passed on at once unless it could still become one of them, so progress lines redrawn with
 * `\r` are not held back.
 */
export class NoiseFilter {
  private pending = '';
  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let out = '';
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      if (!NOISE.test(line)) out += line + '\n';
      this.pending = this.pending.slice(nl + 1);
    }
    if (!(NOISE_START.startsWith(this.pending) || this.pending.startsWith(NOISE_START))) {
      out += this.pending;
      this.pending = '';
    }
    if (out) this.write(out);
  }

  end(): void {
    if (this.pending && !NOISE.test(this.pending)) this.write(this.pending);
    this.pending = '';
  }
}

/**
 * Whether `mdl score` will open the device: only for a data-dependent proxy named in
 * `--proxies` (the default list is static). A child costs a second process's start-up, and
 * the child loads the compiler while this process waits.
 */
async function scoreOpensDevice(flags: readonly string[]): Promise<boolean> {
  const k = flags.findIndex((a) => a === '--proxies' || a.startsWith('--proxies='));
  if (k < 0) return false;
  const list = flags[k] === '--proxies' ? (flags[k + 1] ?? '') : flags[k]!.slice('--proxies='.length);
  // The proxies' registry only here: it loads most of the compiler, which other commands' parents never need.
  const { getProxy } = await import('../space/proxies.js');
  return list.split(',').some((p) => getProxy(p.trim())?.data !== undefined);
}

/** Whether `argv` (after `mdl`) should run in a filtered child. */
export async function wantsFilter(argv: readonly string[]): Promise<boolean> {
  if (process.env[CHILD] === '1') return false;
  const [name, ...rest] = argv;
  if (!name || !DEVICE_COMMANDS.has(name)) return false;
  const end = rest.indexOf('--');
  const flags = end < 0 ? rest : rest.slice(0, end);
  if (flags.some((a) => a === '--help' || a === '-h')) return false;
  if (name === 'score' && !(await scoreOpensDevice(flags))) return false;
  // The reference interpreter never opens the device.
  const b = flags.indexOf('--backend');
  return !(flags.includes('--backend=reference') || (b >= 0 && flags[b + 1] === 'reference'));
}

/** In the child: behave as the parent's terminal would, and end if the parent is gone. */
function asChild(): void {
  const columns = Number(process.env[TTY_COLUMNS]);
  if (columns > 0) {
    Object.defineProperty(process.stderr, 'isTTY', { value: true });
    Object.defineProperty(process.stderr, 'columns', { value: columns });
  }
  // A parent killed with SIGKILL cannot pass it on; the child notices it was re-parented.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(129);
  }, 250).unref();
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * Runs the command in a filtered child when it may open the device, resolving with the child's
 * exit code; undefined when this process should run the command itself.
 */
export async function runFiltered(argv: readonly string[]): Promise<number | undefined> {
  if (process.env[CHILD] === '1') {
    asChild();
    return undefined;
  }
  if (!(await wantsFilter(argv))) return undefined;
  const columns = process.stderr.isTTY ? String(process.stderr.columns || 80) : '';
  // Its own process group, so Ctrl-C at a terminal reaches it once, from here, and not twice.
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, [CHILD]: '1', [TTY_COLUMNS]: columns },
    detached: true,
  });
  const handlers = FORWARDED.map((sig) => {
    const h = () => child.kill(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  const filter = new NoiseFilter((text) => process.stderr.write(text));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => filter.push(d));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  filter.end();
  for (const [sig, h] of handlers) process.off(sig, h);
  // A child killed by a signal: end this process the same way, so the caller sees it.
  if (signal) process.kill(process.pid, signal);
  return code ?? 1;
}
