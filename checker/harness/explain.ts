// Plain-language causes for what learners hit most, and the grpcurl command that reproduces a call.
import * as grpc from '@grpc/grpc-js';
import { todoMessage } from '../../lib/protocol.ts';

/** Why an RPC might have answered `code` (undefined when the code itself says enough). */
export function explainStatus(method: string, code: grpc.status, details: string): string | undefined {
  switch (code) {
    case grpc.status.UNIMPLEMENTED:
      return todoMessage.parse(details)
        ? `this handler is still a TODO(human): see PHASES.md, ${todoMessage.parse(details)!.step}`
        : `the server does not implement ${method}: is it in the object createTaskManagerHandlers returns?`;
    case grpc.status.UNAVAILABLE:
      return 'your server is not listening: it may have crashed (see its output above)';
    case grpc.status.DEADLINE_EXCEEDED:
      return method === 'WatchTasks'
        ? 'you never wrote to the stream: call.write(event) for each event'
        : `your ${method} handler never answered: every path must call callback exactly once (success or error)`;
    case grpc.status.UNKNOWN:
      return /Unknown error/i.test(details) || details === ''
        ? 'your handler threw an exception, which grpc-js turns into UNKNOWN: answer with return callback({ code, details }) instead of throwing'
        : 'a refusal without its status code: a plain Error, or an object without code, arrives as UNKNOWN';
    case grpc.status.INTERNAL:
      if (/failed inside the server/.test(details))
        return 'your handler threw an exception: its error and stack are in your server’s output';
      return /serializ/i.test(details)
        ? 'your response does not fit the proto message: check field names (snake_case) and types'
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The grpcurl command that sends the same request to a server on localhost:50051
 * (`npm run server`); the server's reflection service describes the messages.
 */
export function grpcurlCommand(method: string, request: object): string {
  const json = JSON.stringify(request).replace(/'/g, `'\\''`);
  return `grpcurl -plaintext -d '${json}' localhost:50051 taskmanager.TaskManager/${method}`;
}

/** Why a process never started listening, from its output. */
export function explainStartFailure(output: string[]): { summary: string; hint: string } {
  const text = output.join('\n');
  // tsx (esbuild) reports a syntax error as "Transform failed" with file:line:col: ERROR: message.
  const compileError = /^(.*\.ts):(\d+):(\d+): ERROR: (.*)$/m.exec(text);
  if (compileError || /Transform failed/.test(text)) {
    const where = compileError ? ` at ${compileError[1]}:${compileError[2]}:${compileError[3]}: ${compileError[4]}` : '';
    return {
      summary: `your code does not compile${where}`,
      hint: 'fix the syntax error shown above, then run the check again (npm run typecheck finds type errors too)',
    };
  }
  const protoProblem = /^(?:Error: )?(illegal .*\(line \d+\))$/m.exec(text);
  if (protoProblem) {
    return {
      summary: `protos/task_manager.proto does not parse: ${protoProblem[1]}`,
      hint: 'fix the proto first: npm run check -- --phase 1 explains the error',
    };
  }
  const cannotListen = /^Could not listen on (\S+): (.*)$/m.exec(text);
  if (cannotListen && !/already in use/.test(cannotListen[2]!)) {
    return {
      summary: `your server could not listen on ${cannotListen[1]}: ${cannotListen[2]}`,
      hint: 'keep main() at the end of server.ts as it was given: bindAsync(address, …) with the address from addressFromCommandLine()',
    };
  }
  if (/already in use|EADDRINUSE/.test(text)) {
    return {
      summary: 'the port is already in use: an old server is still running',
      hint: 'stop the old server (Ctrl+C in its terminal), then run the check again',
    };
  }
  if (/Error|error/.test(text)) {
    return {
      summary: 'your code crashed while starting',
      hint: 'read the error above: the first line that names one of your files is where to look',
    };
  }
  return {
    summary: 'your server stopped without listening',
    hint: 'keep main() at the end of server.ts as it was given: bindAsync, then serveUntilStopped, which prints "listening on"',
  };
}

/** A crash's output without Node's internal frames, which say nothing about the learner's code. */
export function withoutNodeInternals(lines: string[]): string[] {
  return lines.filter(
    (line, i) =>
      !/^node:internal\//.test(line) &&
      !/^\s*triggerUncaughtException\(/.test(line) &&
      !(/^\s*\^\s*$/.test(line) && /triggerUncaughtException\(/.test(lines[i - 1] ?? '')) &&
      !/^\s+at .*\(?node:internal\//.test(line),
  );
}
