// A static file server for trying compiled models in a browser, on 127.0.0.1 (a secure context,
// so pages get WebGPU): the runtime's browser build (dist/), the demo page, the `mnist`
// package's digits and one folder `mdl compile` wrote. Node only: pages never import it.
//
//   node dist/runtime/browser/serve.js DIR [--port N]   → open the printed demo address
//
// The test of the browser build (test/browser/) serves through it too.
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The package's root folder: the nearest one above this file with the demo page (this file is
 * dist/runtime/browser/serve.js when built, runtime/browser/serve.ts in tests).
 */
export const PACKAGE_ROOT = ((): string => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir))
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'runtime/browser/demo.html'))) return dir;
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
})();

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export interface Served {
  /** The server's address, ending in a slash (http://127.0.0.1:PORT/). */
  readonly url: string;
  close(): Promise<void>;
}

/** Whether `file` is `root` or inside it. */
const inside = (file: string, root: string): boolean => file === root || file.startsWith(root + sep);

/** The real path of a folder, or the folder as given when it does not exist (yet). */
function real(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/**
 * Serves each URL prefix from its folder (`{ '/dist/': 'dist' }`); anything else is a 404, and
 * no path leaves its folder, through `..` or through a symbolic link (a compiled folder's
 * `node_modules/mdl` links to the whole package). A malformed request is a 400; a file that
 * fails while it is sent ends that response, never the server. `port` 0 picks a free one.
 */
export function serveFolders(mounts: Readonly<Record<string, string>>, port = 0): Promise<Served> {
  const roots = Object.entries(mounts).map(([prefix, dir]) => [prefix, resolve(dir)] as const);
  const server: Server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL\n');
      return;
    }
    for (const [prefix, root] of roots) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(root, path.slice(prefix.length)));
      if (!inside(file, root)) break;
      try {
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        // What the path really names must be inside the folder's real path too.
        file = realpathSync(file);
        if (!inside(file, real(root))) break;
        const st = statSync(file);
        if (!st.isFile()) break;
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': st.size,
          'cache-control': 'no-store',
        });
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      } catch {
        break;
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${JSON.stringify(path)}\n`);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      ok({ url: `http://127.0.0.1:${p}/`, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

/** What the demo needs: the browser build, the demo page, the digits, and a compiled model at /model/. */
export function demoMounts(modelDir: string): Record<string, string> {
  const digits = dirname(createRequire(import.meta.url).resolve('mnist/src/digits/0.json'));
  return {
    '/dist/': join(PACKAGE_ROOT, 'dist'),
    '/demo/': join(PACKAGE_ROOT, 'runtime/browser'),
    '/digits/': digits,
    '/model/': modelDir,
  };
}

async function main(argv: string[]): Promise<number> {
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : 8080;
  const dir = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--port');
  if (!dir || !Number.isInteger(port)) {
    process.stderr.write(
      'usage: node dist/runtime/browser/serve.js DIR [--port N]   (DIR: a folder `mdl compile` wrote)\n',
    );
    return 2;
  }
  try {
    statSync(join(dir, 'plan.json'));
  } catch {
    process.stderr.write(
      `error: ${join(dir, 'plan.json')} not found; compile a model first: mdl compile FILE -o ${dir}\n`,
    );
    return 1;
  }
  let s: Served;
  try {
    s = await serveFolders(demoMounts(dir), port);
  } catch (e) {
    process.stderr.write(
      `error: cannot serve on 127.0.0.1:${port} (${(e as Error).message}); pick another with --port N\n`,
    );
    return 1;
  }
  process.stdout.write(`serving ${dir} at ${s.url}model/ ; the demo: ${s.url}demo/demo.html  (Ctrl-C to stop)\n`);
  return new Promise(() => {});
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  void main(process.argv.slice(2)).then((code) => process.exit(code));
