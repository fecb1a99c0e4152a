// Shared by the Node tests (tests/browser, tests/client): a real `qiss serve` as a child process.
import { spawn } from 'node:child_process';

/// Starts `BINARY serve --data DATA --port 0` and resolves with {server, url} once it prints the
/// URL it serves at (url without the trailing slash); rejects if it exits or takes over 120 s.
export function startServe(binary, data) {
  return new Promise((resolve, reject) => {
    const server = spawn(binary, ['serve', '--data', data, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`qiss serve did not start:\n${out}`)), 120000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ server, url: m[1] });
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`qiss serve exited with ${code}:\n${out}`));
    });
  });
}
