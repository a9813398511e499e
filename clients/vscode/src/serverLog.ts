// The level of a line the server writes to stderr (spdlog's "[recurrent] [warning] ..."), so the output channel
// shows its log at the right level instead of every line as an error.
//
// Pure function (no `vscode` import) so it runs under node:test.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function logLevelOf(line: string): LogLevel {
  const m = /\[(trace|debug|info|warning|warn|error|critical)\]/i.exec(line);
  switch (m?.[1]?.toLowerCase()) {
    case 'error':
    case 'critical':
      return 'error';
    case 'warning':
    case 'warn':
      return 'warn';
    case 'trace':
    case 'debug':
      return 'debug';
    case 'info':
      return 'info';
    default:
      return 'error'; // unformatted stderr (a crash, a sanitizer report) is what a writer must notice
  }
}
