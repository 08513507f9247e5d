// The services real gRPC tools rely on, as the shared bootstrap registers them:
// server reflection (grpcurl, grpcui, Postman, Evans) and the standard health service.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { startTestServer, type TestServer, withTimeout } from './helpers.ts';

const REFLECTION_PROTO = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
  'build/proto/grpc/reflection/v1/reflection.proto',
);

type Constructor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, (...args: any[]) => any>;
function clientFor(protoFile: string, service: string[]): Constructor {
  let node: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true, defaults: true, enums: String }));
  for (const name of service) node = (node as Record<string, unknown>)[name];
  return node as Constructor;
}

describe('server reflection and health', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  /** One request on the reflection stream, as grpcurl sends it. */
  function reflect(request: object): Promise<Record<string, any>> {
    const Reflection = clientFor(REFLECTION_PROTO, ['grpc', 'reflection', 'v1', 'ServerReflection']);
    const client = new Reflection(server.address, grpc.credentials.createInsecure());
    const stream = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<object, Record<string, any>>;
    const answer = new Promise<Record<string, any>>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
    });
    stream.write(request);
    stream.end();
    return withTimeout(answer, 2000, 'the reflection answer').finally(() => client.close());
  }

  it('lists the TaskManager and health services', async () => {
    const answer = await reflect({ list_services: '' });
    const names = (answer.list_services_response.service as Array<{ name: string }>).map((service) => service.name);
    assert.ok(names.includes('taskmanager.TaskManager'), names.join(', '));
    assert.ok(names.includes('grpc.health.v1.Health'), names.join(', '));
  });

  it('resolves the file that defines taskmanager.TaskManager, with its RPCs', async () => {
    const answer = await reflect({ file_containing_symbol: 'taskmanager.TaskManager' });
    const files = answer.file_descriptor_response.file_descriptor_proto as Buffer[];
    assert.ok(files.length > 0);
    const text = Buffer.concat(files).toString('latin1');
    for (const name of ['taskmanager', 'TaskManager', 'CreateTask', 'WatchTasks', 'TaskEvent', 'created_at']) {
      assert.ok(text.includes(name), `the descriptor mentions ${name}`);
    }
  });

  it('health answers SERVING for the server and for TaskManager, NOT_FOUND for others', async () => {
    const Health = clientFor(healthProtoPath, ['grpc', 'health', 'v1', 'Health']);
    const client = new Health(server.address, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<{ status: string } | grpc.ServiceError>((resolve) =>
        client.Check!({ service }, (error: grpc.ServiceError | null, response: { status: string }) => resolve(error ?? response)),
      );
    try {
      assert.deepEqual(await check(''), { status: 'SERVING' });
      assert.deepEqual(await check('taskmanager.TaskManager'), { status: 'SERVING' });
      assert.equal(((await check('nope')) as grpc.ServiceError).code, grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it('a health watcher hears NOT_SERVING when shutdown starts', async () => {
    const own = await startTestServer();
    const Health = clientFor(healthProtoPath, ['grpc', 'health', 'v1', 'Health']);
    const client = new Health(own.address, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const stream = client.Watch!({ service: '' }) as grpc.ClientReadableStream<{ status: string }>;
    const heard = (status: string) =>
      withTimeout(
        new Promise<void>((resolve) => {
          const check = () => statuses.includes(status) && resolve();
          stream.on('data', check);
          check();
        }),
        3000,
        `health status ${status}`,
      );
    stream.on('data', (message) => statuses.push(message.status));
    stream.on('error', () => {});
    await heard('SERVING');
    const stopped = own.shutdown(200);
    await heard('NOT_SERVING');
    await stopped;
    client.close();
    own.client.close();
    assert.deepEqual(statuses, ['SERVING', 'NOT_SERVING']);
  });
});
