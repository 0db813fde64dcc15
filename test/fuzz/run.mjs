// npm run fuzz: every property of the fuzz suite, for a fixed time, with new seeds and more cases than npm test.
// Usage: node test/fuzz/run.mjs [--minutes 5] [--scale 20] [--only <text>] [--seed <n> [--path <path>]]
import { parseArgs } from 'node:util';
import fc from 'fast-check';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    scale: { type: 'string', default: '20' },
    only: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const scale = Number(values.scale);
if (!(minutes > 0) || !(scale > 0)) {
  console.error('fuzz: --minutes and --scale must be numbers above 0');
  process.exit(2);
}
const replay = values.seed !== undefined;
const seedOf = () => (replay ? Number(values.seed) : (Math.random() * 2 ** 31) | 0);

const files = ['framing', 'codec', 'text', 'http', 'bridge'];
const subjects = [];
const cleanups = [];
for (const file of files) {
  const mod = await import(`./${file}.props.mjs`);
  let ctx;
  if (mod.setup) {
    const fixture = await mod.setup();
    ctx = fixture.ctx;
    cleanups.push(fixture.cleanup);
  }
  for (const p of [...mod.properties, ...(mod.linearity ? [mod.linearity] : [])]) {
    if (values.only && !p.name.includes(values.only)) continue;
    subjects.push({ ...p, ctx, cases: 0, rounds: 0, failure: undefined });
  }
}
if (subjects.length === 0) {
  console.error(`fuzz: no property matches '${values.only}'`);
  process.exit(2);
}

const deadline = Date.now() + minutes * 60_000;
console.log(`fuzz: ${subjects.length} propert${subjects.length === 1 ? 'y' : 'ies'} for ${minutes} min, ${scale}x the cases of npm test per round${replay ? `, seed ${values.seed}` : ', a new seed each round'}`);
let round = 0;
while (Date.now() < deadline) {
  round++;
  let ran = 0;
  for (const s of subjects) {
    if (s.failure || Date.now() >= deadline) continue;
    const seed = seedOf();
    const details = await fc.check(s.make(s.ctx), {
      seed,
      numRuns: Math.max(1, Math.round(s.runs * scale)),
      path: replay ? values.path : undefined,
      interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
      markInterruptAsFailure: false,
    });
    s.cases += details.numRuns;
    s.rounds++;
    ran++;
    if (details.failed) {
      s.failure = { seed: details.seed, path: details.counterexamplePath, counterexample: fc.stringify(details.counterexample), error: details.errorInstance?.message ?? String(details.error) };
      console.log(`\nFAILED  ${s.name}\n  seed ${s.failure.seed}, path ${s.failure.path}\n  counterexample ${s.failure.counterexample}\n  ${s.failure.error.split('\n').join('\n  ')}`);
      console.log(`  replay: npm run fuzz -- --only '${s.name.replace(/'/g, "'\\''")}' --seed ${s.failure.seed} --path ${s.failure.path}`);
    }
  }
  if (ran === 0) {
    round--;
    break;
  }
  if (replay) break;
  const total = subjects.reduce((n, s) => n + s.cases, 0);
  console.log(`round ${round}: ${total.toLocaleString('en')} cases so far, ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left`);
}
for (const c of cleanups) await c();

console.log('\ncases   property');
for (const s of subjects) console.log(`${String(s.cases).padStart(7)}  ${s.name}${s.failure ? `  FAILED (seed ${s.failure.seed})` : ''}`);
const failed = subjects.filter((s) => s.failure);
const total = subjects.reduce((n, s) => n + s.cases, 0);
console.log(`\n${total.toLocaleString('en')} cases in ${round} round(s); ${failed.length === 0 ? 'no counterexample' : `${failed.length} propert${failed.length === 1 ? 'y' : 'ies'} failed`}`);
process.exit(failed.length === 0 ? 0 : 1);
