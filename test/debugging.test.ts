// The debug configurations in .vscode/launch.json: they run what `npm run
// server` / `npm run client` run, and a breakpoint set on a TypeScript line of
// exercises/ stops on that line. VS Code cannot run here, so this test does
// what its debugger (js-debug) does, over the same Chrome DevTools Protocol:
// start the configuration's command with --inspect-brk, read the inline source
// map tsx attaches to each compiled file, set the breakpoint where the map puts
// the line, and map the paused location back. For the client it also pauses
// each source-mapped file before it runs, as the configuration's
// "pauseForSourceMap" makes js-debug do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import ts from 'typescript';
import { callUnary, createTaskManagerClient, isServiceError } from '../lib/client-runtime.ts';
import { type ChildTsProcess, spawnCaptured } from '../lib/process.ts';
import { REPO_ROOT } from '../lib/proto.ts';
import { listeningLine } from '../lib/protocol.ts';
import { buildSkeletons } from './checker-fixtures.ts';
import { withTimeout } from './helpers.ts';

const WAIT_MS = 15_000;
// biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's variable, written as in launch.json
const WORKSPACE_FOLDER = '${workspaceFolder}';

interface LaunchConfiguration {
  name: string;
  type: string;
  request: string;
  runtimeExecutable?: string;
  runtimeArgs: string[];
  program: string;
  args: string[];
  sourceMaps?: boolean;
  skipFiles?: string[];
  resolveSourceMapLocations?: string[];
  pauseForSourceMap?: boolean;
}

/** launch.json is JSON with comments: TypeScript's own reader parses it as VS Code does. */
function launchConfigurations(): LaunchConfiguration[] {
  const file = path.join(REPO_ROOT, '.vscode/launch.json');
  const { config, error } = ts.parseConfigFileTextToJson(file, readFileSync(file, 'utf8'));
  assert.equal(error, undefined, 'launch.json parses');
  return config.configurations;
}

function configurationFor(script: 'server' | 'client'): LaunchConfiguration {
  const found = launchConfigurations().find((configuration) => configuration.args.join(' ') === script);
  assert.ok(found, `a configuration running ${script}`);
  return found;
}

// ---- A small Chrome DevTools Protocol client over the inspector's WebSocket ----

type Message = { id?: number; method?: string; params?: any; result?: any; error?: { message: string } };

class Inspector {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (result: any) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Set<(message: Message) => void>();

  private constructor(readonly socket: Socket) {
    let buffered = Buffer.alloc(0);
    let fragments: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const frame = readFrame(buffered);
        if (!frame) break;
        buffered = buffered.subarray(frame.size);
        if (frame.opcode === 0x8) socket.end();
        if (frame.opcode !== 0x0 && frame.opcode !== 0x1) continue;
        fragments.push(frame.payload);
        if (!frame.fin) continue;
        this.#receive(JSON.parse(Buffer.concat(fragments).toString('utf8')));
        fragments = [];
      }
    });
  }

  static connect(url: string): Promise<Inspector> {
    const { hostname, port, pathname } = new URL(url);
    return new Promise((resolve, reject) => {
      const upgrade = request({
        host: hostname,
        port,
        path: pathname,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        },
      });
      upgrade.once('upgrade', (_response, socket, head) => {
        const inspector = new Inspector(socket);
        if (head.length > 0) socket.unshift(head);
        resolve(inspector);
      });
      upgrade.once('response', (response) => reject(new Error(`the inspector answered HTTP ${response.statusCode}, not an upgrade`)));
      upgrade.once('error', reject);
      upgrade.end();
    });
  }

  #receive(message: Message): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
      return;
    }
    for (const listener of [...this.#listeners]) listener(message);
  }

  send(method: string, params: object = {}): Promise<any> {
    const id = this.#nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    // A client's frames are masked (RFC 6455): FIN + text, then the length and the mask.
    const mask = randomBytes(4);
    const length =
      payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([Buffer.from([0x81]), length, mask, masked]));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /** Calls listener with every event (method and params) from now on. */
  on(listener: (method: string, params: any) => void): void {
    this.#listeners.add((message) => message.method && listener(message.method, message.params));
  }

  /** The next event `method` whose params satisfy `accept`. */
  next(method: string, accept: (params: any) => boolean = () => true): Promise<any> {
    return new Promise((resolve) => {
      const listener = (message: Message) => {
        if (message.method === method && accept(message.params)) {
          this.#listeners.delete(listener);
          resolve(message.params);
        }
      };
      this.#listeners.add(listener);
    });
  }
}

/** One frame of the server (unmasked), or undefined until it has fully arrived. */
function readFrame(data: Buffer): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (data.length < 2) return undefined;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return undefined;
  return { fin: (data[0]! & 0x80) !== 0, opcode: data[0]! & 0x0f, payload: data.subarray(offset, offset + length), size: offset + length };
}

// ---- Source maps (version 3): the mappings, decoded ----

interface Mapping {
  generatedLine: number;
  generatedColumn: number;
  source: string;
  originalLine: number;
  originalColumn: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Every mapping of a source map with sources, 0-based lines and columns, in generated order. */
function decodeSourceMap(map: { sources: string[]; mappings: string }): Mapping[] {
  const mappings: Mapping[] = [];
  const state = [0, 0, 0, 0]; // source, original line, original column, name: relative across the whole map
  map.mappings.split(';').forEach((line, generatedLine) => {
    let generatedColumn = 0;
    for (const segment of line.split(',').filter(Boolean)) {
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        shift += 5;
        if ((digit & 32) === 0) {
          fields.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      generatedColumn += fields[0]!;
      if (fields.length < 4) continue;
      for (let i = 1; i < fields.length; i += 1) state[i - 1]! += fields[i]!;
      mappings.push({
        generatedLine,
        generatedColumn,
        source: map.sources[state[0]!]!,
        originalLine: state[1]!,
        originalColumn: state[2]!,
      });
    }
  });
  return mappings;
}

/** The source map tsx attached to a compiled script (inline, as a data: URL). */
function inlineSourceMap(sourceMapURL: string): Mapping[] {
  assert.match(sourceMapURL, /^data:application\/json;base64,/, 'tsx inlines the source map');
  return decodeSourceMap(JSON.parse(Buffer.from(sourceMapURL.slice(sourceMapURL.indexOf(',') + 1), 'base64').toString('utf8')));
}

/** The file a source of the map names (an absolute path or a file: URL). */
const sourceFile = (source: string) => (source.startsWith('file:') ? fileURLToPath(source) : path.resolve(REPO_ROOT, source));

// ---- The scenario: a breakpoint on a line of exercises/<file> ----

const started: ChildTsProcess[] = [];
after(async () => {
  await Promise.all(started.map((launched) => launched.stop(0)));
});

/** Starts the configuration's command under --inspect-brk and connects to it (paused before the first line). */
async function launch(configuration: LaunchConfiguration, extraArgs: string[]) {
  const program = configuration.program.replace(WORKSPACE_FOLDER, REPO_ROOT);
  const launched = spawnCaptured(process.execPath, [
    ...configuration.runtimeArgs,
    '--inspect-brk=127.0.0.1:0',
    program,
    ...configuration.args,
    ...extraArgs,
  ]);
  started.push(launched);
  const line = await launched.findLine(/Debugger listening on ws:\/\//, WAIT_MS);
  assert.ok(line, `the inspector starts\n${launched.output.join('\n')}`);
  const inspector = await Inspector.connect(line.slice(line.indexOf('ws://')));
  return { launched, inspector };
}

/** The 0-based line of `file` that contains `text` (exactly one). */
function lineOf(file: string, text: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found = lines.flatMap((line, index) => (line.includes(text) ? [index] : []));
  assert.equal(found.length, 1, `one line of ${file} contains ${text}`);
  return found[0]!;
}

/**
 * Sets a breakpoint on `line` of `file` once its script is parsed (the way a debugger maps
 * it: through the source map), and resolves with where the program pauses, mapped back.
 */
async function breakOnLine(inspector: Inspector, file: string, line: number, { pauseForSourceMap }: { pauseForSourceMap: boolean }) {
  const url = pathToFileURL(file).href;
  let mappings: Mapping[] = [];
  let scriptId = '';
  let breakpointId = '';
  const bound = new Promise<void>((resolve, reject) => {
    inspector.on((method, params) => {
      if (method === 'Debugger.scriptParsed' && params.url === url) {
        scriptId = params.scriptId;
        mappings = inlineSourceMap(params.sourceMapURL);
        const onLine = mappings
          .filter((mapping) => sourceFile(mapping.source) === file && mapping.originalLine === line)
          .sort((a, b) => a.originalColumn - b.originalColumn);
        assert.ok(onLine[0], `the source map maps line ${line + 1} of ${file}`);
        inspector
          .send('Debugger.setBreakpoint', {
            location: { scriptId, lineNumber: onLine[0].generatedLine, columnNumber: onLine[0].generatedColumn },
          })
          .then((result) => {
            breakpointId = result.breakpointId;
            resolve();
          }, reject);
      }
    });
  });
  const paused = inspector.next('Debugger.paused', (params) => params.hitBreakpoints?.includes(breakpointId));
  // Anything else that pauses (the first line under --inspect-brk, a file waiting for its map) goes on,
  // once the breakpoint is set if it is that file.
  inspector.on((method, params) => {
    if (method !== 'Debugger.paused' || params.hitBreakpoints?.includes(breakpointId)) return;
    const ours = scriptId !== '' && params.callFrames[0]?.location.scriptId === scriptId;
    void (ours ? bound : Promise.resolve()).then(() => inspector.send('Debugger.resume'));
  });
  await inspector.send('Debugger.enable');
  if (pauseForSourceMap)
    await inspector.send('Debugger.setInstrumentationBreakpoint', { instrumentation: 'beforeScriptWithSourceMapExecution' });
  await inspector.send('Runtime.runIfWaitingForDebugger');
  await withTimeout(bound, WAIT_MS, `the breakpoint on line ${line + 1} of ${file} to be set`);
  return {
    /** Where the program paused: the file, line and column (0-based) the source map gives for the top frame. */
    paused: paused.then((params) => {
      const { location } = params.callFrames[0];
      assert.equal(location.scriptId, scriptId, 'paused in the file of the breakpoint');
      const at = mappings
        .filter(
          (mapping) =>
            mapping.generatedLine < location.lineNumber ||
            (mapping.generatedLine === location.lineNumber && mapping.generatedColumn <= location.columnNumber),
        )
        .at(-1);
      assert.ok(at, 'the paused location is mapped');
      return { file: sourceFile(at.source), line: at.originalLine };
    }),
  };
}

describe('debugging in VS Code (.vscode/launch.json)', () => {
  it('runs what npm run server and npm run client run, with source maps, tsx and Node internals skipped', () => {
    const scripts = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts;
    for (const script of ['server', 'client'] as const) {
      const configuration = configurationFor(script);
      assert.deepEqual([configuration.type, configuration.request], ['node', 'launch'], configuration.name);
      const command = [
        configuration.runtimeExecutable ?? 'node',
        ...configuration.runtimeArgs,
        configuration.program,
        ...configuration.args,
      ];
      assert.equal(command.join(' ').replace(`${WORKSPACE_FOLDER}/`, ''), scripts[script], `${configuration.name} runs npm run ${script}`);
      assert.equal(configuration.sourceMaps, true);
      assert.equal(configuration.pauseForSourceMap, true);
      assert.ok(configuration.skipFiles?.includes('<node_internals>/**'));
      assert.ok(configuration.resolveSourceMapLocations?.includes(`${WORKSPACE_FOLDER}/**`));
    }
  });

  // The pristine skeletons, wherever exercises/ stands (the learner's work must not change this test).
  const skeletons = buildSkeletons('debugging-skeletons');

  it('a breakpoint on a line of a handler in server.ts stops on that line', async () => {
    const file = path.join(skeletons, 'server.ts');
    const line = lineOf(file, "callback(todoHuman('CreateTask'");
    const { launched, inspector } = await launch(configurationFor('server'), ['--impl', skeletons, '--host', '127.0.0.1', '--port', '0']);
    const { paused } = await breakOnLine(inspector, file, line, { pauseForSourceMap: false });
    const listening = await launched.findLine((line) => listeningLine.parse(line) !== undefined, WAIT_MS);
    assert.ok(listening, launched.output.join('\n'));
    const { host, port } = listeningLine.parse(listening!)!;
    const client = createTaskManagerClient(`${host}:${port}`);
    try {
      const answer = callUnary(client, 'CreateTask', { title: 'debug me', description: '', tags: [] }).then(
        () => 'OK',
        (error: unknown) => (isServiceError(error) ? error.code : error),
      );
      assert.deepEqual(await withTimeout(paused, WAIT_MS, 'the breakpoint to be hit'), { file, line });
      await inspector.send('Debugger.resume');
      assert.equal(await withTimeout(answer, WAIT_MS, 'the answer after resuming'), grpc.status.UNIMPLEMENTED, 'the skeleton answered');
    } finally {
      client.close();
    }
  });

  it('a breakpoint in client.ts, which runs at once, stops on its line', async () => {
    const file = path.join(skeletons, 'client.ts');
    const line = lineOf(file, "throw new TodoHumanError('watchTasks'");
    // Nothing listens on port 1: the client's later calls fail, after the breakpoint.
    const { inspector } = await launch(configurationFor('client'), ['--impl', skeletons, '--host', '127.0.0.1', '--port', '1']);
    const { paused } = await breakOnLine(inspector, file, line, { pauseForSourceMap: true });
    assert.deepEqual(await withTimeout(paused, WAIT_MS, 'the breakpoint to be hit'), { file, line });
    await inspector.send('Debugger.resume');
  });
});
