import type { CID } from 'multiformats/cid';
import { InputError } from '../../lib/errors.js';
import { openStore } from '../../store/open.js';
import { exportCar } from '../../store/car-export.js';
import { collectChain } from '../../store/chain.js';
import { importCar } from '../../store/car-import.js';
import type { RecordStore, WritableRecordStore } from '../../store/types.js';
import { describeRecord } from './inspect.js';
import { parseCommandArgs, printJson, readInput, required, runSubcommand, type CliIo, type Command } from '../io.js';

const storeFlag = { store: { type: 'string' as const } };

async function allIds(store: RecordStore): Promise<CID[]> {
  const ids: CID[] = [];
  for await (const id of store.list()) ids.push(id);
  return ids.sort((a, b) => (a.toString() < b.toString() ? -1 : a.toString() > b.toString() ? 1 : 0));
}

/** Open the store named by `--store` for writing (a `.car` is read-only). */
export async function openWritableStore(path: string | undefined): Promise<WritableRecordStore> {
  const store = await openStore(path);
  if (!store.writable) {
    throw new InputError('ERR_READ_ONLY', `${store.location} is a CAR file, which is a read-only store; name a directory with --store`);
  }
  return store as WritableRecordStore;
}

const lsUsage = 'provenant store ls [--store DIR|FILE.car] [--json]';
const ls: Command = {
  summary: 'list the records in a store, with their kinds',
  usage: lsUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...storeFlag, json: { type: 'boolean' } }, lsUsage);
    const store = await openStore(values.store);
    const rows = [];
    for (const id of await allIds(store)) {
      const record = await store.get(id);
      rows.push({ id: id.toString(), ...describeRecord(record.payload) });
    }
    if (values.json) printJson(io, rows);
    else for (const r of rows) io.stdout.write(`${r.id}  ${r.kind.padEnd(8)} ${r.summary}\n`);
    return 0;
  },
};

const showUsage = 'provenant store show ID [--store DIR|FILE.car] [--envelope | --payload] [--json]';
const show: Command = {
  summary: 'print a stored record (--envelope: the DSSE envelope exactly as stored)',
  usage: showUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...storeFlag, envelope: { type: 'boolean' }, payload: { type: 'boolean' }, json: { type: 'boolean' } },
      showUsage,
    );
    const id = required(positionals[0], 'ID', showUsage);
    const store = await openStore(values.store);
    const record = await store.get(id);
    if (values.envelope) {
      io.stdout.write(record.envelopeBytes);
      return 0;
    }
    if (values.payload) {
      io.stdout.write(record.payload);
      return 0;
    }
    const described = describeRecord(record.payload);
    if (values.json) {
      printJson(io, {
        id: record.id.toString(),
        kind: described.kind,
        payloadType: record.payloadType,
        signatures: record.signatures.map((s) => ({ keyid: s.keyid ?? null })),
        statement: JSON.parse(new TextDecoder().decode(record.payload)) as unknown,
      });
    } else {
      io.stdout.write(`${record.id.toString()}  ${described.kind}  ${described.summary}\n`);
      io.stdout.write(`${JSON.stringify(JSON.parse(new TextDecoder().decode(record.payload)), null, 2)}\n`);
    }
    return 0;
  },
};

const exportUsage = 'provenant store export [ID...] --out FILE.car|- [--store DIR|FILE.car] [--json]';
const exportCmd: Command = {
  summary: 'write a chain to one CAR file: the IDs given and every record they link to (all records without IDs)',
  usage: exportUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...storeFlag, out: { type: 'string', short: 'o' }, json: { type: 'boolean' } }, exportUsage);
    const out = required(values.out, '--out FILE.car', exportUsage);
    const store = await openStore(values.store);
    const ids = positionals.length ? await collectChain(store, positionals) : await allIds(store);
    if (ids.length === 0) throw new InputError('ERR_RECORD_NOT_FOUND', `${store.location} holds no records to export`);
    if (out === '-' && values.json) throw new InputError('ERR_USAGE', '--json cannot be used with --out - (the CAR goes to stdout)');
    const result = await exportCar(store, ids, out === '-' ? (io.stdout as unknown as Parameters<typeof exportCar>[2]) : out);
    const summary = { root: result.root.toString(), records: result.ids.map(String), size: result.size, out };
    if (values.json) printJson(io, summary);
    else {
      if (out !== '-') io.stdout.write(`${summary.root}\n`);
      io.stderr.write(`exported ${summary.records.length} records (${summary.size} bytes) to ${out}\n`);
    }
    return 0;
  },
};

const importUsage = 'provenant store import FILE.car|- [--store DIR] [--json]';
const importCmd: Command = {
  summary: 'check a CAR file and add its records to a store',
  usage: importUsage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...storeFlag, json: { type: 'boolean' } }, importUsage);
    const source = required(positionals[0], 'FILE.car', importUsage);
    const store = await openWritableStore(values.store);
    const bytes = source === '-' ? await readStdin() : new Uint8Array(await readInput(source, 'CAR file'));
    const result = await importCar(bytes, store);
    const summary = { root: result.root.toString(), records: result.ids.map(String) };
    if (values.json) printJson(io, summary);
    else {
      for (const id of summary.records) io.stdout.write(`${id}\n`);
      io.stderr.write(`imported ${summary.records.length} records into ${store.location}\n`);
    }
    return 0;
  },
};

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

const subcommands: Record<string, Command> = { ls, show, export: exportCmd, import: importCmd };

export const store: Command = {
  summary: 'list, show, export and import stored records',
  usage: 'provenant store ls|show|export|import ...',
  async run(argv, io: CliIo) {
    return runSubcommand('store', subcommands, argv, io);
  },
};
