/**
 * The deployment files in deploy/ cannot run here (no container engine, no cluster), so they are parsed and
 * checked against the code they deploy: every GROUNDWORK_* variable and config file they set is loaded by the
 * real `loadConfig` without a problem, every command they run exists in the CLI with those flags, ports agree
 * with `server.port`, probes hit routes the server has, and the security settings are there.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CliRuntime } from '../../src/cli/context.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { configSchema, type GroundworkConfig, loadConfig } from '../../src/core/index.ts';
import type { HttpMetrics } from '../../src/server/http-metrics.ts';
import { systemRoutes } from '../../src/server/routes/system-routes.ts';
import { type RenderedChart, renderChart } from './helm-template.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const deploy = join(root, 'deploy');
const chartDir = join(deploy, 'helm', 'groundwork');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { version: string; engines: { node: string } };
const defaultPort = configSchema.parse({}).server.port;
const systemPaths = new Set(systemRoutes({ metrics: {} as HttpMetrics, draining: () => false }).map((route) => route.path));

/** Asserts `argv` is a runnable `groundwork` command line: known subcommands, known options, values given. */
function assertCommand(argv: readonly string[]): void {
  const program = buildProgram(new CliRuntime({ stdout: process.stdout, stderr: process.stderr, env: {}, cwd: root }));
  const where = `groundwork ${argv.join(' ')}`;
  let command: Command = program;
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('-')) {
      const name = arg.split('=')[0];
      const option = [...command.options, ...program.options].find((o) => o.long === name || o.short === name);
      assert.ok(option, `${where}: ${name} is not an option of \`${command.name()}\``);
      if ((option.required || option.optional) && !arg.includes('=')) {
        assert.ok(argv[i + 1] !== undefined, `${where}: ${name} needs a value`);
        i++;
      }
      continue;
    }
    const sub = positionals === 0 ? command.commands.find((c) => c.name() === arg) : undefined;
    if (sub) {
      command = sub;
      continue;
    }
    positionals++;
    assert.ok(positionals <= command.registeredArguments.length, `${where}: \`${command.name()}\` takes no argument ${arg}`);
  }
  assert.equal(command.commands.length, 0, `${where}: \`${command.name()}\` is a group, not a command`);
}

/** Loads the configuration the way a container does: its environment and its config file. */
function loadDeployedConfig(env: Record<string, string>, configText?: string): GroundworkConfig {
  const cwd = mkdtempSync(join(tmpdir(), 'gw-deploy-'));
  try {
    if (configText !== undefined) writeFileSync(join(cwd, 'groundwork.config.yaml'), configText);
    return loadConfig({ env, cwd }).config;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Config keys set explicitly by an environment and by a config file (loadConfig's origins). */
function keysSetBy(env: Record<string, string>, configText?: string): Set<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'gw-deploy-'));
  try {
    if (configText !== undefined) writeFileSync(join(cwd, 'groundwork.config.yaml'), configText);
    return new Set(loadConfig({ env, cwd }).origins.keys());
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The environment wins over files: a key in both would make the file's value a silent no-op. */
function assertNotShadowed(env: Record<string, string>, configText: string): void {
  const fromEnv = keysSetBy(env);
  const shadowed = [...keysSetBy({}, configText)].filter((key) => fromEnv.has(key));
  assert.deepEqual(shadowed, [], `set in the config file but overridden by the container environment: ${shadowed.join(', ')}`);
}

/** Environment variables a deployment file sets for Groundwork itself (config keys and aliases). */
function groundworkEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('GROUNDWORK_') || name === 'DATABASE_URL'));
}

/** The Dockerfile's instructions by stage, and the environment of its runtime image. */
interface Instruction {
  readonly name: string;
  readonly args: string;
}
const instructions: Instruction[] = read('deploy/Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [name, ...rest] = line.split(/\s+/);
    return { name: (name as string).toUpperCase(), args: rest.join(' ') };
  });
const stages: Instruction[][] = [];
const preamble: Instruction[] = [];
for (const instruction of instructions) {
  if (instruction.name === 'FROM') stages.push([instruction]);
  else (stages.at(-1) ?? preamble).push(instruction);
}
const runtime = stages.at(-1) ?? [];
const all = (stage: Instruction[], name: string) => stage.filter((i) => i.name === name).map((i) => i.args);
const json = (args: string) => JSON.parse(args) as string[];
/** The runtime image's environment: every container of compose and the chart starts from it. */
const imageEnv = Object.fromEntries(
  all(runtime, 'ENV').flatMap((args) => [...args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]])),
) as Record<string, string>;

describe('Dockerfile', () => {
  test('multi-stage on a pinned Node 24 image: npm ci and the UI build, then production dependencies only', () => {
    const arg = preamble.find((i) => i.name === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    const image = arg?.args.slice('NODE_IMAGE='.length) ?? '';
    const version = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+(-slim)?(@sha256:[0-9a-f]{64})?$/.exec(image);
    assert.ok(version, `the base image ${image} is pinned to an exact Node version (node:24.x.y-<debian>-slim)`);
    assert.equal(version[1], '24', 'Node 24 LTS, the version the project is tested on');
    const [major, minor] = packageJson.engines.node.replace('>=', '').split('.').map(Number) as [number, number];
    assert.ok(Number(version[1]) > major || (Number(version[1]) === major && Number(version[2]) >= minor));
    assert.equal(stages.length, 2);
    for (const stage of stages) assert.match(stage[0]?.args ?? '', /^\$\{NODE_IMAGE\}( AS \w+)?$/);
    const build = (stages[0] ?? []).map((i) => i.args).join('\n');
    assert.match(build, /npm ci\b/);
    assert.match(build, /npm run build:web/);
    assert.match(build, /npm prune --omit=dev/);
    const copied = all(runtime, 'COPY').join('\n');
    for (const path of ['node_modules', 'src', 'bin', 'web/dist', 'package.json']) {
      assert.match(copied, new RegExp(`--from=build /app/${path.replace('/', '\\/')}\\b`), `the runtime image has ${path}`);
    }
    assert.doesNotMatch(copied, /COPY \. /, 'nothing else is copied into the runtime image');
    const ignore = read('deploy/Dockerfile.dockerignore');
    for (const pattern of ['**/node_modules', '.git', '.groundwork*', '**/*.test.ts'])
      assert.ok(ignore.includes(pattern), pattern);
  });

  test('runs as a numeric non-root user, with a healthcheck on /healthz at the exposed server port', () => {
    const users = all(runtime, 'USER');
    assert.equal(users.length, 1);
    const [uid, gid] = (users[0] ?? '').split(':').map(Number) as [number, number];
    assert.ok(Number.isInteger(uid) && uid > 0 && Number.isInteger(gid) && gid > 0, `USER ${users[0]} is numeric and not root`);
    assert.deepEqual(all(runtime, 'EXPOSE'), [String(defaultPort)]);
    const healthcheck = all(runtime, 'HEALTHCHECK')[0] ?? '';
    assert.match(healthcheck, /--start-period=\d+s/);
    const probe = /\/healthz/.exec(healthcheck);
    assert.ok(probe && systemPaths.has('/healthz'), 'the healthcheck hits /healthz, a route of the server');
    assert.match(healthcheck, /CMD \["node", "-e", "fetch\(/, 'node fetch: slim images have no curl');
  });

  test('its environment is configuration loadConfig knows, and its port is the one exposed', () => {
    const own = groundworkEnv(imageEnv);
    assert.deepEqual(Object.keys(own).sort(), ['GROUNDWORK_DATA_DIR', 'GROUNDWORK_HOST']);
    const config = loadDeployedConfig(own);
    assert.equal(config.server.port, defaultPort);
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.dataDir, '/var/lib/groundwork');
    assert.deepEqual(all(runtime, 'VOLUME'), ['["/var/lib/groundwork"]']);
  });

  test('the entrypoint is the groundwork executable and its default command exists', () => {
    assert.deepEqual(json(all(runtime, 'ENTRYPOINT')[0] ?? '[]'), ['groundwork']);
    assert.match(all(runtime, 'RUN').join('\n'), /ln -s \/app\/bin\/groundwork\.js \/usr\/local\/bin\/groundwork/);
    accessSync(join(root, 'bin/groundwork.js'), constants.X_OK);
    assertCommand(json(all(runtime, 'CMD')[0] ?? '[]'));
  });
});

describe('docker compose', () => {
  const text = read('deploy/compose.yaml');
  /** `${NAME}`, `${NAME:-default}`, `${NAME:?error}` as compose substitutes them. */
  const interpolate = (value: string, vars: Record<string, string>) =>
    value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
      const set = vars[name];
      if (set) return set;
      if (kind === '?') throw new Error(`${name} is required: ${rest}`);
      return kind === '-' ? (rest ?? '') : '';
    });
  const compose = parseYaml(interpolate(text, { POSTGRES_PASSWORD: 'pw' }), { merge: true }) as {
    services: Record<string, Record<string, unknown> & { environment?: Record<string, string>; command?: string[] }>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;
  const service = (name: string) => {
    const found = services[name];
    assert.ok(found, `compose has a ${name} service`);
    return found;
  };
  const groundworkServices = ['migrate', 'api', 'worker'];
  const configText = read('deploy/groundwork.config.yaml');

  test('PostgreSQL with pgvector, pinned, with a healthcheck and a named volume; no default password', () => {
    const postgres = services.postgres ?? {};
    assert.match(String(postgres.image), /^pgvector\/pgvector:\d+\.\d+\.\d+-pg(1[5-9]|[2-9]\d)$/);
    assert.deepEqual((postgres.healthcheck as { test: string[] }).test.slice(0, 2), ['CMD', 'pg_isready']);
    assert.ok('pgdata' in compose.volumes);
    assert.throws(() => interpolate(text, {}), /POSTGRES_PASSWORD is required/);
    assert.doesNotMatch(text, /POSTGRES_PASSWORD:-/, 'the password has no default');
  });

  test('a one-shot migration first; two API replicas and a worker start only after it succeeded', () => {
    assert.deepEqual(services.migrate?.command, ['db', 'migrate']);
    assert.equal(services.migrate?.restart, 'no');
    assert.deepEqual(services.migrate?.depends_on, { postgres: { condition: 'service_healthy' } });
    assert.deepEqual((service('api').deploy as { replicas: number }).replicas, 2);
    for (const name of ['api', 'worker']) {
      assert.deepEqual(services[name]?.depends_on, { migrate: { condition: 'service_completed_successfully' } }, name);
    }
    assert.deepEqual(services.worker?.command?.slice(0, 1), ['worker']);
    for (const name of groundworkServices) assertCommand(services[name]?.command ?? []);
    // The first admin key, as the file documents it.
    assert.match(text, /run --rm migrate keys create --admin --name platform-admin/);
    assertCommand(['keys', 'create', '--admin', '--name', 'platform-admin']);
  });

  test('every Groundwork container gets configuration loadConfig accepts, with the database on the postgres service', () => {
    for (const name of groundworkServices) {
      const service = services[name] ?? {};
      const env = groundworkEnv({ ...imageEnv, ...service.environment });
      assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/groundwork:pw@postgres:5432\/groundwork$/, name);
      const config = loadDeployedConfig(env, configText);
      assert.equal(config.databaseUrl, env.DATABASE_URL);
      assert.deepEqual(service.volumes, ['./groundwork.config.yaml:/app/groundwork.config.yaml:ro'], name);
      assert.equal(service.read_only, true, `${name}: read-only root filesystem`);
      assert.deepEqual(service.cap_drop, ['ALL'], name);
      assert.deepEqual(service.tmpfs, ['/tmp'], `${name}: OCR and parsers write to /tmp only`);
    }
  });

  test('nothing in groundwork.config.yaml is overridden by the containers’ environment', () => {
    for (const name of groundworkServices)
      assertNotShadowed(groundworkEnv({ ...imageEnv, ...services[name]?.environment }), configText);
  });

  test('the API port and healthcheck agree with server.port and the server’s routes', () => {
    const api = services.api ?? {};
    const config = loadDeployedConfig(groundworkEnv({ ...imageEnv, ...api.environment }), configText);
    const ports = api.ports as string[];
    assert.equal(ports.length, 1);
    const [host, published, container] = (ports[0] as string).split(':');
    assert.equal(host, '127.0.0.1', 'published on loopback only, behind your load balancer');
    assert.equal(published, '8787-8788', 'one host port per replica');
    assert.equal(Number(container), config.server.port);
    const probe = (api.healthcheck as { test: string[] }).test.join(' ');
    const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(probe);
    assert.ok(url, probe);
    assert.equal(Number(url[1]), config.server.port);
    assert.ok(systemPaths.has(url[2] as string));
    assert.deepEqual((service('migrate').healthcheck as { disable: boolean }).disable, true);
    assert.deepEqual((service('worker').healthcheck as { disable: boolean }).disable, true);
  });
});

describe('Helm chart', () => {
  const render = (values: Record<string, unknown> = {}) =>
    renderChart(chartDir, { values: { database: { url: 'postgres://groundwork:pw@db.internal:5432/groundwork' }, ...values } });
  const find = (chart: RenderedChart, kind: string, suffix: string) =>
    chart.objects.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix)) as unknown as Record<string, unknown> & {
      metadata: { name: string; annotations?: Record<string, string>; labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
  interface Container {
    name: string;
    image: string;
    args: string[];
    envFrom: Array<{ secretRef: { name: string } }>;
    env?: Array<{ name: string; value: string }>;
    ports?: Array<{ name: string; containerPort: number }>;
    readinessProbe?: { httpGet: { path: string; port: string } };
    livenessProbe?: { httpGet: { path: string; port: string } };
    startupProbe?: { httpGet: { path: string; port: string } };
    securityContext: Record<string, unknown>;
    volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>;
  }
  const podOf = (object: { spec: Record<string, unknown> }) =>
    (
      object.spec.template as {
        metadata: { labels: Record<string, string> };
        spec: Record<string, unknown> & { containers: Container[] };
      }
    ).spec;
  const labelsOf = (object: { spec: Record<string, unknown> }) =>
    (object.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels;

  test('renders an API Deployment with probes on /readyz and /healthz at server.port, a Service and a CPU HPA', () => {
    const chart = render();
    const api = find(chart, 'Deployment', '-api');
    const pod = podOf(api);
    const container = pod.containers[0] as Container;
    assert.deepEqual(container.args, ['serve', '--processes', '1']);
    assertCommand(container.args);
    assert.equal(container.image, 'groundwork:0.1.0', 'the image tag defaults to the appVersion');
    const config = chart.values.config as { server: { port: number } };
    assert.deepEqual(container.ports, [{ name: 'http', containerPort: config.server.port, protocol: 'TCP' }]);
    assert.equal(container.readinessProbe?.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe?.httpGet.path, '/healthz');
    assert.equal(container.startupProbe?.httpGet.path, '/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      assert.ok(systemPaths.has(probe?.httpGet.path ?? ''), probe?.httpGet.path);
      assert.equal(probe?.httpGet.port, 'http');
    }
    assert.equal(api.spec.replicas, undefined, 'the HPA owns the replica count');
    assert.deepEqual(api.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const service = find(chart, 'Service', '-groundwork');
    assert.deepEqual((service.spec.ports as Array<{ targetPort: string }>)[0]?.targetPort, 'http');
    assert.deepEqual(service.spec.selector, (api.spec.selector as { matchLabels: Record<string, string> }).matchLabels);
    for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>))
      assert.equal(labelsOf(api)[key], value);
    const hpa = find(chart, 'HorizontalPodAutoscaler', '-api');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: api.metadata.name });
    assert.deepEqual(hpa.spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    assert.equal((hpa.spec.minReplicas as number) >= 2, true, 'two API replicas at least');
    assert.ok(find(chart, 'PodDisruptionBudget', '-api'));
  });

  test('a worker Deployment and a migrations Job (pre-upgrade hook) run commands the CLI has', () => {
    const chart = render();
    const worker = podOf(find(chart, 'Deployment', '-worker')).containers[0] as Container;
    assert.deepEqual(worker.args, ['worker', '--batch-size', '5']);
    assertCommand(worker.args);
    const job = find(chart, 'Job', '-migrate');
    assert.deepEqual((podOf(job).containers[0] as Container).args, ['db', 'migrate']);
    assertCommand(['db', 'migrate']);
    assert.equal(podOf(job).restartPolicy, 'Never');
    const hooks = (job.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');
    assert.ok(hooks.includes('pre-upgrade') && hooks.includes('post-install'), hooks.join());
    assert.match(chart.files.get('NOTES.txt') ?? '', /-- groundwork keys create --admin --name platform-admin/);
    assertCommand(['keys', 'create', '--admin', '--name', 'platform-admin']);
  });

  test('the ConfigMap is a groundwork.config.yaml loadConfig accepts; the Secret holds DATABASE_URL', () => {
    const chart = render();
    const configMap = find(chart, 'ConfigMap', '-groundwork') as unknown as { data: Record<string, string> };
    const text = configMap.data['groundwork.config.yaml'] ?? '';
    assert.deepEqual(parseYaml(text), chart.values.config);
    const secret = find(chart, 'Secret', '-groundwork') as unknown as { stringData: Record<string, string> };
    const env = groundworkEnv({ ...imageEnv, ...secret.stringData });
    const config = loadDeployedConfig(env, text);
    assert.equal(config.databaseUrl, 'postgres://groundwork:pw@db.internal:5432/groundwork');
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.observe.textRetention, 'redact');
    // Every Groundwork container reads the same Secret and mounts the config where the CLI looks for it.
    for (const suffix of ['-api', '-worker']) {
      const container = podOf(find(chart, 'Deployment', suffix)).containers[0] as Container;
      assert.deepEqual(container.envFrom, [{ secretRef: { name: 'prod-groundwork' } }]);
      assert.deepEqual(
        container.volumeMounts.find((m) => m.name === 'config'),
        { name: 'config', mountPath: '/app/groundwork.config.yaml', subPath: 'groundwork.config.yaml', readOnly: true },
      );
      assert.equal(container.env, undefined, 'no plain-text environment: configuration in the ConfigMap, secrets in the Secret');
    }
    assertNotShadowed(env, text);
    assert.throws(() => {
      const withHost = parseYaml(text) as { server: Record<string, unknown> };
      withHost.server.host = '127.0.0.1';
      assertNotShadowed(env, stringifyYaml(withHost));
    }, /overridden by the container environment: server\.host/);
    // A typo in values.config is caught by the same loader at start-up, and here.
    const typo = render({ config: { server: { prot: 8787 } } });
    const typoText = (find(typo, 'ConfigMap', '-groundwork') as unknown as { data: Record<string, string> }).data[
      'groundwork.config.yaml'
    ];
    assert.throws(() => loadDeployedConfig({}, typoText), /server\.prot: is not a known setting/);
  });

  test('pods run as non-root with a read-only root filesystem and a writable /tmp only', () => {
    const chart = render();
    for (const [kind, suffix] of [
      ['Deployment', '-api'],
      ['Deployment', '-worker'],
      ['Job', '-migrate'],
    ] as const) {
      const pod = podOf(find(chart, kind, suffix));
      assert.equal((pod.securityContext as { runAsNonRoot: boolean }).runAsNonRoot, true, suffix);
      assert.ok(((pod.securityContext as { runAsUser: number }).runAsUser ?? 0) > 0);
      const container = pod.containers[0] as Container;
      assert.deepEqual(container.securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      assert.ok(
        container.volumeMounts.some((m) => m.mountPath === '/tmp'),
        `${suffix}: /tmp is an emptyDir`,
      );
    }
  });

  test('values change what is rendered: a fixed replica count, an existing Secret, a missing database URL', () => {
    const fixed = render({ api: { autoscaling: { enabled: false }, replicas: 3 } });
    assert.equal(find(fixed, 'HorizontalPodAutoscaler', '-api'), undefined);
    assert.equal(find(fixed, 'Deployment', '-api').spec.replicas, 3);
    const existing = renderChart(chartDir, { values: { database: { existingSecret: 'groundwork-db' } } });
    assert.equal(find(existing, 'Secret', '-groundwork'), undefined, 'the chart creates no Secret');
    for (const suffix of ['-api', '-worker']) {
      assert.deepEqual((podOf(find(existing, 'Deployment', suffix)).containers[0] as Container).envFrom, [
        { secretRef: { name: 'groundwork-db' } },
      ]);
    }
    assert.throws(() => renderChart(chartDir), /required: database\.url/);
    const withKeys = render({ secretEnv: { OPENAI_API_KEY: 'sk-test' } });
    assert.equal(
      (find(withKeys, 'Secret', '-groundwork') as unknown as { stringData: Record<string, string> }).stringData.OPENAI_API_KEY,
      'sk-test',
    );
    // An optional read replica: DATABASE_READ_URL in the chart's Secret only when set.
    const secretOf = (docs: ReturnType<typeof render>) =>
      (find(docs, 'Secret', '-groundwork') as unknown as { stringData: Record<string, string> }).stringData;
    assert.equal(secretOf(render()).DATABASE_READ_URL, undefined);
    assert.equal(
      secretOf(render({ database: { url: 'postgres://primary:5432/groundwork', readUrl: 'postgres://replica:5432/groundwork' } }))
        .DATABASE_READ_URL,
      'postgres://replica:5432/groundwork',
    );
    const a = find(render(), 'Deployment', '-api').spec.template as { metadata: { annotations: Record<string, string> } };
    const b = find(render({ config: { log: { level: 'debug' } } }), 'Deployment', '-api').spec.template as {
      metadata: { annotations: Record<string, string> };
    };
    assert.notEqual(
      a.metadata.annotations['groundwork.dev/config-sha256'],
      b.metadata.annotations['groundwork.dev/config-sha256'],
    );
  });

  test('the template renderer refuses what it does not implement', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-chart-'));
    try {
      writeFileSync(join(dir, 'Chart.yaml'), 'name: x\nversion: 0.0.1\nappVersion: "1"\n');
      writeFileSync(join(dir, 'values.yaml'), 'items: [a]\n');
      mkdirSync(join(dir, 'templates'));
      for (const [template, error] of [
        ['{{ range .Values.items }}x{{ end }}', /unsupported action/],
        ['{{ .Values.items | join "," }}', /unsupported function join/],
        ['{{ .Values.nope }}', /has no value/],
        ['{{ .Values.items }}', /pipe it through toYaml/],
      ] as const) {
        writeFileSync(join(dir, 'templates', 't.yaml'), template);
        assert.throws(() => renderChart(dir), error, template);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
