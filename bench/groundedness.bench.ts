/**
 * Offline groundedness checkers on labelled (context, claim, supported?) pairs (`npm run bench:groundedness`;
 * not a test). Numbers go to docs/benchmarks.md "Groundedness checker".
 *
 * The pairs are built here from insurance-domain templates: each fact sentence sits in a context between
 * two distractor sentences of other facts. Per fact:
 *  - supported: the fact verbatim; the fact reworded (reordered clauses, mostly the same words);
 *  - hard negatives: a changed number, a flipped negation (or antonym), swapped entities (who pays whom,
 *    who notifies whom), and a claim about another fact's subject with this fact's wording.
 *
 * Checkers, in one run:
 *  1. baseline: "supported when ≥ 50% of the claim's content words occur in the context" (no numbers, no
 *     negation, no order);
 *  2. the answer feature's checker (`checkGroundedness`, the one answers use for confidence), the claim
 *     cited as `… [1].`;
 *  3. the evaluation feature's fallback checker (`offlineGroundedness`).
 * Reported: balanced accuracy (mean of the true-positive and true-negative rates), and per category the
 * share judged correctly.
 */
import { checkGroundedness, type Passage } from '../src/answer/index.ts';
import { offlineGroundedness } from '../src/evaluate/index.ts';

interface Pair {
  readonly context: string;
  readonly claim: string;
  readonly supported: boolean;
  readonly category: 'verbatim' | 'reworded' | 'number' | 'negation' | 'swap' | 'other-subject';
}

interface Fact {
  readonly sentence: string;
  readonly reworded: string;
  readonly number: string;
  readonly negation: string;
  readonly swap?: string;
  readonly otherSubject: string;
}

const parties: ReadonlyArray<readonly [string, string]> = [
  ['the insurer', 'the policyholder'],
  ['the reinsurer', 'the cedent'],
  ['the broker', 'the client'],
  ['the carrier', 'the claimant'],
  ['the underwriter', 'the agent'],
  ['the employer', 'the employee'],
  ['the landlord', 'the tenant'],
  ['the lessor', 'the lessee'],
];
const things = [
  'roof repairs',
  'water damage',
  'stolen jewellery',
  'storm damage',
  'fire damage',
  'broken windows',
  'burst pipes',
  'lost luggage',
];
const events = ['accident', 'burglary', 'flood', 'fire', 'storm', 'collision', 'theft', 'injury'];
const amounts = [250, 500, 1200, 2500, 4800, 7500, 10000, 25000];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function facts(): Fact[] {
  const out: Fact[] = [];
  for (let i = 0; i < 8; i++) {
    const [a, b] = parties[i] as readonly [string, string];
    const thing = things[i] as string;
    const other = things[(i + 3) % 8] as string;
    const event = events[i] as string;
    const otherEvent = events[(i + 5) % 8] as string;
    const n = amounts[i] as number;
    const m = amounts[(i + 1) % 8] as number;
    const days = 3 + i * 4;
    out.push({
      sentence: `${cap(a)} pays ${b} ${n} dollars for ${thing}.`,
      reworded: `For ${thing}, ${a} pays ${b} ${n} dollars.`,
      number: `${cap(a)} pays ${b} ${m} dollars for ${thing}.`,
      negation: `${cap(a)} does not pay ${b} ${n} dollars for ${thing}.`,
      swap: `${cap(b)} pays ${a} ${n} dollars for ${thing}.`,
      otherSubject: `${cap(a)} pays ${b} ${n} dollars for ${other}.`,
    });
    out.push({
      sentence: `The deductible for ${thing} is ${n} dollars per claim.`,
      reworded: `Per claim, the deductible for ${thing} is ${n} dollars.`,
      number: `The deductible for ${thing} is ${m} dollars per claim.`,
      negation: `The deductible for ${thing} is not ${n} dollars per claim.`,
      otherSubject: `The deductible for ${other} is ${n} dollars per claim.`,
    });
    out.push({
      sentence: `${cap(b)} must notify ${a} within ${days} days of the ${event}.`,
      reworded: `Within ${days} days of the ${event}, ${b} must notify ${a}.`,
      number: `${cap(b)} must notify ${a} within ${days + 7} days of the ${event}.`,
      negation: `${cap(b)} must never notify ${a} within ${days} days of the ${event}.`,
      swap: `${cap(a)} must notify ${b} within ${days} days of the ${event}.`,
      otherSubject: `${cap(b)} must notify ${a} within ${days} days of the ${otherEvent}.`,
    });
    out.push({
      sentence: `Claims for ${thing} caused by ${event} are excluded from the policy.`,
      reworded: `The policy excludes claims for ${thing} caused by ${event}.`,
      number: `Claims for ${thing} caused by ${event} are excluded from the policy after ${days} days.`,
      negation: `Claims for ${thing} caused by ${event} are not excluded from the policy.`,
      otherSubject: `Claims for ${other} caused by ${otherEvent} are excluded from the policy.`,
    });
  }
  return out;
}

/**
 * Held out: templates written after the checker's thresholds were fixed, never used to tune them.
 */
function heldOutFacts(): Fact[] {
  const out: Fact[] = [];
  const insurers = ['Northwind Mutual', 'Contoso Re', 'Fabrikam Life', 'Tailspin Assurance'];
  const customers = ['Ms Alvarez', 'Mr Chen', 'Dr Okafor', 'the Smith family'];
  const covers = ['hail damage', 'medical expenses', 'rental income', 'legal costs'];
  for (let i = 0; i < 4; i++) {
    const a = insurers[i] as string;
    const b = customers[i] as string;
    const thing = covers[i] as string;
    const other = covers[(i + 1) % 4] as string;
    const limit = [15000, 80000, 3200, 45000][i] as number;
    const wait = [14, 30, 60, 90][i] as number;
    out.push({
      sentence: `${a} reimbursed ${b} for ${thing} in March.`,
      reworded: `In March, ${a} reimbursed ${b} for ${thing}.`,
      number: `${a} reimbursed ${b} for ${thing} in March 2019.`,
      negation: `${a} never reimbursed ${b} for ${thing} in March.`,
      swap: `${b} reimbursed ${a} for ${thing} in March.`,
      otherSubject: `${a} reimbursed ${b} for ${other} in March.`,
    });
    out.push({
      sentence: `The annual limit for ${thing} is ${limit} euros.`,
      reworded: `For ${thing}, the annual limit is ${limit} euros.`,
      number: `The annual limit for ${thing} is ${limit * 2} euros.`,
      negation: `The annual limit for ${thing} is not ${limit} euros.`,
      otherSubject: `The annual limit for ${other} is ${limit} euros.`,
    });
    out.push({
      sentence: `A waiting period of ${wait} days applies before ${thing} are paid.`,
      reworded: `Before ${thing} are paid, a waiting period of ${wait} days applies.`,
      number: `A waiting period of ${wait + 10} days applies before ${thing} are paid.`,
      negation: `No waiting period of ${wait} days applies before ${thing} are paid.`,
      otherSubject: `A waiting period of ${wait} days applies before ${other} are paid.`,
    });
    out.push({
      sentence: `${b} filed the claim and ${a} approved it.`,
      reworded: `${a} approved the claim that ${b} filed.`,
      number: `${b} filed ${i + 2} claims and ${a} approved them.`,
      negation: `${b} filed the claim and ${a} did not approve it.`,
      swap: `${a} filed the claim and ${b} approved it.`,
      otherSubject: `${b} filed the appeal and ${a} approved it.`,
    });
  }
  return out;
}

function pairsOf(all: readonly Fact[]): Pair[] {
  const out: Pair[] = [];
  all.forEach((fact, i) => {
    const before = all[(i + 7) % all.length] as Fact;
    const after = all[(i + 13) % all.length] as Fact;
    const context = `${before.sentence} ${fact.sentence} ${after.sentence}`;
    out.push({ context, claim: fact.sentence, supported: true, category: 'verbatim' });
    out.push({ context, claim: fact.reworded, supported: true, category: 'reworded' });
    out.push({ context, claim: fact.number, supported: false, category: 'number' });
    out.push({ context, claim: fact.negation, supported: false, category: 'negation' });
    if (fact.swap) out.push({ context, claim: fact.swap, supported: false, category: 'swap' });
    out.push({ context, claim: fact.otherSubject, supported: false, category: 'other-subject' });
  });
  return out;
}

const stop = new Set('a an the of to in on at for by with from and or is are was were be it this that per must'.split(' '));
const words = (text: string) => (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !stop.has(w));

const checkers: Record<string, (pair: Pair) => boolean> = {
  'baseline (≥50% word overlap)': (pair) => {
    const context = new Set(words(pair.context));
    const claim = words(pair.claim);
    return claim.filter((w) => context.has(w)).length / claim.length >= 0.5;
  },
  'answer feature checkGroundedness': (pair) =>
    checkGroundedness(`${pair.claim.replace(/\.$/, '')} [1].`, [{ n: 1, text: pair.context, tokens: 0 } as unknown as Passage])
      .groundedness === 1,
  'evaluate offlineGroundedness': (pair) => offlineGroundedness(pair.claim, [pair.context]) === 1,
};

for (const [setName, data] of [
  ['development set (templates the thresholds were chosen on)', pairsOf(facts())],
  ['held-out set (templates written after the thresholds were fixed)', pairsOf(heldOutFacts())],
] as const) {
  report(setName, data);
}

function report(setName: string, data: readonly Pair[]): void {
  const categories = [...new Set(data.map((p) => p.category))];
  console.log(`\n${setName}`);
  console.log(
    `${data.length} pairs: ${data.filter((p) => p.supported).length} supported, ${data.filter((p) => !p.supported).length} unsupported (hard negatives)`,
  );
  console.log(`| Checker | Balanced accuracy | TPR | TNR | ${categories.join(' | ')} | µs/pair |`);
  console.log(`|---|---:|---:|---:|${categories.map(() => '---:').join('|')}|---:|`);
  for (const [name, check] of Object.entries(checkers)) {
    const started = performance.now();
    const verdicts = data.map((pair) => check(pair));
    const micros = ((performance.now() - started) * 1000) / data.length;
    const positives = data.filter((p) => p.supported);
    const negatives = data.filter((p) => !p.supported);
    const tpr = positives.filter((p) => verdicts[data.indexOf(p)]).length / positives.length;
    const tnr = negatives.filter((p) => !verdicts[data.indexOf(p)]).length / negatives.length;
    const perCategory = categories.map((category) => {
      const inCategory = data.filter((p) => p.category === category);
      const correct = inCategory.filter((p) => verdicts[data.indexOf(p)] === p.supported).length;
      return `${correct}/${inCategory.length}`;
    });
    console.log(
      `| ${name} | ${((tpr + tnr) / 2).toFixed(3)} | ${tpr.toFixed(3)} | ${tnr.toFixed(3)} | ${perCategory.join(' | ')} | ${micros.toFixed(1)} |`,
    );
  }
}
