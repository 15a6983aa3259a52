// THE definition of the configuration file: the JSON Schema that ajv enforces, and, through
// json-schema-to-ts, the TypeScript type of a file once ajv has accepted it and filled in its
// defaults. plugin-config/schema.json (what users' editors and tools read) is generated from this
// object by `npx tsx scripts/config-reference.ts`, and a test fails when the two differ.
//
// Why json-schema-to-ts and not the alternatives: the schema carries things only a schema can say
// (our `duration`/`size` keywords, formats, bounds, descriptions for docs/configuration.md, if/then
// rules), so the schema must be the source and the type the derivative. ajv's JSONSchemaType goes
// the other way (a hand-written type the schema is checked against: still two definitions, and it
// handles neither `type: [string, integer]` nor "optional in the file, present after defaults");
// a builder such as TypeBox would turn this readable JSON into function calls. FromSchema reads
// the literal as it is, costs nothing at run time (a type-only dev dependency), and treats a key
// with a `default` as present, which is what ajv's useDefaults makes true.
import type { FromSchema } from 'json-schema-to-ts';
import { MULTILINE_TIMEOUT_MAX, MULTILINE_TIMEOUT_MIN } from '../capture/multiline-rule.js';

/** Bounds of the `duration` and `size` keywords, written like the values: `{ "min": "100ms" }`. */
export interface UnitBounds {
  readonly min?: string;
  readonly max?: string;
}

/** The parts of JSON Schema this schema uses, for code that walks it (errors, docs, variables). */
export interface SchemaNode {
  readonly $schema?: string;
  readonly $id?: string;
  readonly title?: string;
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly allOf?: readonly SchemaNode[];
  readonly if?: SchemaNode;
  readonly then?: SchemaNode;
  readonly duration?: UnitBounds;
  readonly size?: UnitBounds;
  readonly 'x-expected'?: string;
  readonly 'x-default-text'?: string;
  readonly 'x-secret'?: boolean;
  readonly 'x-why'?: string;
}

export const CONFIG_FILE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:log-capturer:config',
  title: 'log-capturer configuration',
  description: 'Configuration file of log-capturer (YAML or JSON, snake_case keys). Every key is optional; an empty value means the default.',
  type: 'object',
  additionalProperties: false,
  properties: {
    docker: {
      type: 'object',
      description: 'Where the Docker Engine API is and how to reach it. The capturer only reads from it.',
      additionalProperties: false,
      properties: {
        host: {
          type: 'string',
          format: 'docker-host',
          'x-expected': 'a Docker host URL such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375',
          'x-default-text': '$DOCKER_HOST, else unix:///var/run/docker.sock',
          description: 'Docker Engine API address: unix:///path, tcp://host:port, http://host:port or https://host:port.',
        },
        api_version: {
          type: 'string',
          pattern: '^[0-9]+\\.[0-9]+$',
          'x-expected': 'an API version such as 1.41',
          'x-default-text': 'negotiated with the daemon',
          description: 'Docker API version to speak, e.g. 1.41; leave unset to negotiate with the daemon.',
        },
        tls: {
          type: 'object',
          description: 'TLS for a tcp:// or https:// daemon; leave unset for no TLS.',
          additionalProperties: false,
          properties: {
            ca_file: {
              type: 'string',
              minLength: 1,
              description: "PEM file of the CA that signed the daemon's certificate.",
            },
            cert_file: {
              type: 'string',
              minLength: 1,
              description: 'PEM client certificate.',
            },
            key_file: {
              type: 'string',
              minLength: 1,
              description: 'PEM private key of the client certificate.',
            },
            verify: {
              type: 'boolean',
              default: true,
              description: "Verify the daemon's certificate.",
            },
          },
        },
        request_timeout: {
          type: 'string',
          description: 'Timeout of non-streaming calls (list, inspect, ping); log streams have none.',
          duration: { min: '100ms' },
          default: '30s',
        },
      },
      default: {},
    },
    capture: {
      type: 'object',
      description: 'How container log streams are read.',
      additionalProperties: false,
      properties: {
        max_streams: {
          type: 'integer',
          minimum: 1,
          maximum: 100000,
          default: 100,
          description: 'Log streams open at once (the stream pool\'s capacity). With more running containers than this, a tenth of the slots are kept for polls and the containers without a follow stream are read by polls.',
        },
        rotation_interval: {
          type: 'string',
          description: 'How long a stream stays open before it is closed and reopened at its exact position (once it has made progress), so waiting containers get a turn.',
          duration: { min: '100ms' },
          default: '5m',
        },
        poll_interval: {
          type: 'string',
          description: 'With more running containers than max_streams: how often a container without a follow stream is read (a read without follow, from its position) while it writes; a quiet one is read up to ten times less often.',
          duration: { min: '50ms' },
          default: '1s',
        },
        initial_position: {
          type: 'string',
          enum: ['beginning', 'end'],
          default: 'beginning',
          description: 'Where to start reading a container that has no checkpoint yet: its first line, or lines written from now on.',
        },
        max_line_bytes: {
          type: ['string', 'integer'],
          description: 'Longest line kept whole; longer lines are cut and marked truncated: true.',
          size: { min: '1KiB', max: '64MiB' },
          default: '1MiB',
        },
        host_name: {
          type: 'string',
          minLength: 1,
          'x-default-text': "the machine's hostname",
          description: 'Value of the host field of every record.',
        },
        multiline: {
          type: 'object',
          description: "Joining lines into one record (Java and Python stack traces, Go panics), per container and stream, with the settings of Vector's multiline option. Off unless start_pattern, condition_pattern and mode are set (for every container), or a container sets them with log-capturer.multiline.* labels; the limits apply to both.",
          additionalProperties: false,
          properties: {
            start_pattern: {
              type: 'string',
              format: 'regex',
              'x-expected': 'a regular expression such as ^[^\\s]',
              'x-default-text': 'unset (no rule for every container)',
              description: 'A line matching this regular expression (JavaScript syntax) while no group is open opens a group; any other line outside a group is a record of its own.',
            },
            condition_pattern: {
              type: 'string',
              format: 'regex',
              'x-expected': 'a regular expression such as ^\\s',
              'x-default-text': 'unset',
              description: 'Decides for each later line whether the group goes on, as mode says.',
            },
            mode: {
              type: 'string',
              enum: ['continue_through', 'continue_past', 'halt_before', 'halt_with'],
              'x-default-text': 'unset',
              description: 'continue_through: lines matching condition_pattern join, the first other line starts anew; continue_past: likewise, but that line joins and ends the group; halt_before: lines not matching join, the first matching line starts anew; halt_with: likewise, but that line joins and ends the group.',
            },
            timeout: {
              type: 'string',
              description: 'A group whose stream brings no new line for this long is complete (time spent reopening a stream or paused by backpressure does not count).',
              duration: { min: MULTILINE_TIMEOUT_MIN, max: MULTILINE_TIMEOUT_MAX },
              default: '1s',
            },
            max_lines: {
              type: 'integer',
              minimum: 1,
              maximum: 100000,
              default: 500,
              description: 'A group reaching this many lines is cut: the part is sent with multiline_cut: true and the group goes on in the next record.',
            },
            max_bytes: {
              type: ['string', 'integer'],
              description: 'Likewise for the joined message\'s size; a single longer line is a record of its own.',
              size: { min: '1KiB', max: '64MiB' },
              default: '1MiB',
            },
          },
          default: {},
        },
        event_id: {
          type: 'boolean',
          default: true,
          description: 'Give every record an event_id: 16 hex digits naming the line (container, timestamp, stream, ordinal), the same each time the line is read again, for deduplication in the sink.',
        },
      },
      default: {},
    },
    filters: {
      type: 'object',
      description: 'Which containers are captured. Empty include lists select every container.',
      additionalProperties: false,
      properties: {
        include_names: {
          type: 'array',
          description: 'Container names to capture (without the leading /): globs such as web-* or /regular expressions/.',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        exclude_names: {
          type: 'array',
          description: 'Container names never captured (globs or /regular expressions/).',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        include_images: {
          type: 'array',
          description: 'Image names to capture (globs or /regular expressions/).',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        exclude_images: {
          type: 'array',
          description: 'Image names never captured (globs or /regular expressions/).',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        include_labels: {
          type: 'array',
          description: 'Labels a container must have: key (present) or key=value (the value may be a glob).',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        exclude_labels: {
          type: 'array',
          description: 'Labels that exclude a container: key or key=value.',
          items: { type: 'string', minLength: 1 },
          default: [],
        },
        opt_out_label: {
          type: 'string',
          minLength: 1,
          default: 'log-capturer.enable',
          description: 'A container with this label set to false is never read.',
        },
      },
      default: {},
    },
    sink: {
      type: 'object',
      description: "Where records go: NDJSON on stdout, or HTTP POST to Vector's http_server source or Fluent Bit's http input.",
      additionalProperties: false,
      properties: {
        type: {
          type: 'string',
          enum: ['stdout', 'vector', 'fluentbit'],
          default: 'stdout',
          description: 'stdout (NDJSON on standard output), vector or fluentbit.',
        },
        url: {
          type: 'string',
          format: 'http-url',
          'x-expected': 'an http:// or https:// URL such as http://127.0.0.1:8080/',
          description: 'Receiver URL, required for vector (e.g. http://127.0.0.1:8080/) and fluentbit (e.g. http://127.0.0.1:9880/docker; the path is the tag).',
        },
        auth: {
          type: 'object',
          description: 'Basic authentication; both keys are required when the section is present. Not together with an Authorization header in sink.headers.',
          additionalProperties: false,
          properties: {
            username: {
              type: 'string',
              minLength: 1,
              description: 'Basic-auth user name.',
            },
            password: {
              type: 'string',
              minLength: 1,
              'x-secret': true,
              description: 'Basic-auth password.',
            },
          },
          required: ['username', 'password'],
          'x-why': 'sink.auth needs both username and password',
        },
        compression: {
          type: 'string',
          enum: ['none', 'gzip', 'zstd'],
          default: 'none',
          description: 'Content-Encoding of request bodies.',
        },
        batch: {
          type: 'object',
          description: 'When a request is sent: whichever limit is reached first.',
          additionalProperties: false,
          properties: {
            max_events: {
              type: 'integer',
              minimum: 1,
              maximum: 1000000,
              default: 1000,
              description: 'Records per request at most.',
            },
            max_bytes: {
              type: ['string', 'integer'],
              description: 'Uncompressed body size per request at most (Fluent Bit refuses more than 4MiB by default).',
              size: { min: '1KiB', max: '1GiB' },
              default: '1MiB',
            },
            linger: {
              type: 'string',
              description: 'How long a batch may wait to fill before it is sent anyway.',
              duration: { min: '0ms' },
              default: '1s',
            },
          },
          default: {},
        },
        max_in_flight: {
          type: 'integer',
          minimum: 1,
          maximum: 64,
          default: 4,
          description: 'Requests under way at once.',
        },
        request_timeout: {
          type: 'string',
          description: "Deadline of a whole request (connect, send, status and body; at most 512 bytes of a reply body are read, a longer one is dropped with its connection); generous, since a slow reply is the receiver's backpressure.",
          duration: { min: '100ms' },
          default: '60s',
        },
        retry: {
          type: 'object',
          description: 'Backoff between attempts after a failure; records are kept until the receiver takes them.',
          additionalProperties: false,
          properties: {
            initial_backoff: {
              type: 'string',
              description: 'First wait after a transient failure (5xx, connection error, timeout); doubles up to max_backoff.',
              duration: { min: '1ms' },
              default: '250ms',
            },
            max_backoff: {
              type: 'string',
              description: 'Longest wait between attempts.',
              duration: { min: '1ms' },
              default: '30s',
            },
            config_error_backoff: {
              type: 'string',
              description: 'Wait between attempts after a configuration error reply (401, 403, 404, 405, 415).',
              duration: { min: '1ms' },
              default: '30s',
            },
          },
          default: {},
        },
        headers: {
          type: 'object',
          default: {},
          description: 'Extra request headers (name: value). Values of authorization-, cookie-, token-, key- or secret-like headers are secrets. An Authorization header (any case) cannot be combined with sink.auth or user:password in sink.url.',
          propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
          'x-expected': 'header names made of letters, digits and -',
          additionalProperties: { type: 'string' },
        },
      },
      default: {},
      allOf: [
        {
          if: {
            properties: {
              type: { enum: ['vector', 'fluentbit'] },
            },
            required: ['type'],
          },
          then: {
            required: ['url'],
            'x-why': 'sink.url is required when sink.type is vector or fluentbit',
          },
        },
      ],
    },
    buffer: {
      type: 'object',
      description: 'Memory for records read but not yet acknowledged: above max_bytes the Docker streams pause.',
      additionalProperties: false,
      properties: {
        max_bytes: {
          type: ['string', 'integer'],
          description: 'Encoded records held in memory at most; reading pauses above this.',
          size: { min: '1MiB' },
          default: '64MiB',
        },
        resume_bytes: {
          type: ['string', 'integer'],
          description: 'Reading resumes below this low-water mark; must be less than max_bytes.',
          size: { min: '1KiB' },
          'x-default-text': 'half of max_bytes',
        },
      },
      default: {},
    },
    checkpoint: {
      type: 'object',
      description: 'Positions of every container, saved so a restart resumes exactly where it stopped.',
      additionalProperties: false,
      properties: {
        state_dir: {
          type: 'string',
          minLength: 1,
          default: './.log-capturer-state',
          description: 'Directory for positions.json and dead-letter files; created 0700 when missing. The capturer refuses to start (exit 2) when it belongs to another user or its group or others may write to it.',
        },
        flush_interval: {
          type: 'string',
          description: 'How often acknowledged positions are written to disk.',
          duration: { min: '10ms' },
          default: '1s',
        },
        dead_letter_max_bytes: {
          type: ['string', 'integer'],
          description: 'Largest size of dead-letter.ndjson. A write that would pass it first renames the file to dead-letter.ndjson.1, replacing the previous one (its records are dropped and counted), so dead letters take at most twice this on disk; a record larger than this is dropped and counted.',
          size: { min: '1KiB' },
          default: '64MiB',
        },
      },
      default: {},
    },
    server: {
      type: 'object',
      description: 'The HTTP server for /healthz, /readyz, /metrics and /status.',
      additionalProperties: false,
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description: 'Run the server.',
        },
        listen: {
          type: 'string',
          format: 'listen',
          default: '127.0.0.1:8001',
          'x-expected': 'host:port such as 127.0.0.1:8001 or [::1]:8001',
          description: 'Address to listen on: host:port, [IPv6]:port; port 0 picks a free port.',
        },
        status_token: {
          type: 'string',
          minLength: 1,
          'x-secret': true,
          description: 'When set, /status needs Authorization: Bearer <token>.',
        },
        max_connections: {
          type: 'integer',
          minimum: 1,
          maximum: 10000,
          default: 128,
          description: 'Connections open to the server at most. A connection beyond it closes the least recently active idle one, or is closed at once when all are busy; idle connections are also closed after 10 s without request headers and 5 s of keep-alive. Keep the file limit (ulimit -n) above max_connections + capture.max_streams + sink.max_in_flight + 64.',
        },
      },
      default: {},
    },
    shutdown: {
      type: 'object',
      description: 'Stopping on SIGTERM or SIGINT.',
      additionalProperties: false,
      properties: {
        grace_period: {
          type: 'string',
          description: 'Time to flush buffered records and positions before exiting.',
          duration: { min: '0ms' },
          default: '10s',
        },
      },
      default: {},
    },
    log: {
      type: 'object',
      description: "The capturer's own logs: JSON lines on stderr.",
      additionalProperties: false,
      properties: {
        level: {
          type: 'string',
          enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
          default: 'info',
          description: 'Lowest level written.',
        },
      },
      default: {},
    },
  },
} as const satisfies SchemaNode;

/** A configuration file as ajv hands it back: validated, every defaulted key present. */
export type ConfigFile = FromSchema<typeof CONFIG_FILE_SCHEMA>;
