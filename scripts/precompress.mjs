// Writes NAME.gz and NAME.br beside every compressible file under a folder, so the server can
// send them as they are (tower-http's ServeDir picks them by Accept-Encoding).
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const compressible = new Set(['.js', '.wasm', '.css', '.svg', '.html', '.txt', '.json', '.ico', '.xml']);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { walk(path); continue; }
    if (!compressible.has(extname(name)) || statSync(path).size < 512) continue;
    const data = readFileSync(path);
    writeFileSync(path + '.gz', gzipSync(data, { level: 9 }));
    writeFileSync(path + '.br', brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }));
  }
}

walk(process.argv[2]);
