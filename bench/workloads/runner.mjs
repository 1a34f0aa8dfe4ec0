// Runs one `corral bench` workload compiled to wasm32-wasi (shim_wasm.c) on
// V8, the way corral bench runs the same C on corral: compile the module,
// instantiate it, run it, then instantiate it again a few times. The
// checksum the workload prints goes to stdout; what was measured goes to
// stderr as `bench KEY VALUE` lines, the protocol every target's runner
// speaks to corral bench (shim_native.c says `bench run_ns N` alone).
//
//   node --no-liftoff --no-wasm-lazy-compilation runner.mjs WORKLOAD.wasm [--calls]
//
// --no-liftoff leaves only the optimizing compiler (TurboFan), and
// --no-wasm-lazy-compilation makes it compile every function when the
// module is made, so that compile_ns is the whole compilation and run_ns
// none of it. --calls also times each host call of a second run alone.
import { readFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const STEADY_INSTANCES = 10;
const MAX_CALLS = 1 << 21;

const [path, mode] = process.argv.slice(2);
if (!path || (mode !== undefined && mode !== '--calls')) {
	writeSync(2, 'usage: node --no-liftoff --no-wasm-lazy-compilation runner.mjs WORKLOAD.wasm [--calls]\n');
	process.exit(2);
}
const bytes = readFileSync(path);

const report = (key, value) => writeSync(2, `bench ${key} ${value}\n`);
const nanoseconds = (from, to) => Math.round((to - from) * 1e6);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

// The size of the code section (id 10), to say how many bytes of code the
// compile time is for, as corral bench does for PVM code.
function codeSectionSize(module) {
	let at = 8; // magic and version
	const leb = () => {
		let value = 0;
		for (let shift = 0; ; shift += 7) {
			const byte = module[at++];
			value += (byte & 0x7f) * 2 ** shift;
			if (byte < 0x80)
				return value;
		}
	};
	while (at < module.length) {
		const id = module[at++];
		const size = leb();
		if (id === 10)
			return size;
		at += size;
	}
	return 0;
}

// The host: bench.host_inc and bench.output (shim_wasm.c). Output is kept
// until the run ends, as corral bench keeps a corral guest's.
let memory = null;
const output = [];
let hostInc = (x) => x + 1n;
const bench = {
	host_inc: (x) => hostInc(x),
	output: (address, length) => output.push(Buffer.from(new Uint8Array(memory.buffer, address, length))),
};

// Anything else the module imports (a WASI function, should wasi-libc ever
// pull one in) fails loudly when called rather than the module failing to
// instantiate.
function importsFor(module) {
	const imports = { bench };
	for (const { module: from, name } of WebAssembly.Module.imports(module)) {
		if (from === 'bench')
			continue;
		imports[from] ??= {};
		imports[from][name] = () => {
			throw new Error(`${path} imports ${from}.${name}, which runner.mjs does not provide`);
		};
	}
	return imports;
}

let begin = performance.now();
const module = new WebAssembly.Module(bytes);
report('compile_ns', nanoseconds(begin, performance.now()));
report('code_bytes', codeSectionSize(bytes));
const imports = importsFor(module);

begin = performance.now();
const instance = new WebAssembly.Instance(module, imports);
report('instantiate_first_ns', nanoseconds(begin, performance.now()));
memory = instance.exports.memory;
begin = performance.now();
instance.exports.bench_start();
report('run_ns', nanoseconds(begin, performance.now()));
writeSync(1, Buffer.concat(output));

const steady = [];
for (let i = 0; i < STEADY_INSTANCES; i++) {
	begin = performance.now();
	new WebAssembly.Instance(module, imports);
	steady.push(nanoseconds(begin, performance.now()));
}
report('instantiate_steady_ns', median(steady));

if (mode === '--calls') {
	// Each interval between two host calls' arrivals at the host: one round
	// trip (host -> guest -> host) and one clock read, whose own cost is
	// measured here too, for comparison.
	const samples = new Float64Array(MAX_CALLS);
	let count = 0, last = 0;
	hostInc = (x) => {
		const now = performance.now();
		if (count < MAX_CALLS)
			samples[count++] = now - last;
		last = now;
		return x + 1n;
	};
	const timed = new WebAssembly.Instance(module, imports);
	memory = timed.exports.memory;
	last = performance.now();
	timed.exports.bench_start();
	// The first interval holds the entry into the module: dropped.
	const intervals = samples.subarray(1, count).sort();
	report('calls', count);
	report('call_median_ns', Math.round(intervals[intervals.length >> 1] * 1e6));
	report('call_p99_ns', Math.round(intervals[Math.floor(intervals.length * 0.99)] * 1e6));
	const reads = new Float64Array(100000);
	let previous = performance.now();
	for (let i = 0; i < reads.length; i++) {
		const now = performance.now();
		reads[i] = now - previous;
		previous = now;
	}
	report('clock_ns', Math.round(reads.sort()[reads.length >> 1] * 1e6));
}
