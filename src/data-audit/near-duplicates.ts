/**
 * Near-duplicate detection for the data audit: MinHash signatures over word shingles of each document's text,
 * candidate pairs by locality-sensitive hashing (bands of the signature), verified by the signatures'
 * estimated Jaccard similarity, and grouped into clusters (union–find). Memory per document: one signature
 * (`hashes` 32-bit integers) and its band keys; the text itself is not kept.
 */

/** Hash functions per signature. 64 × 4 bytes per document. */
export const signatureLength = 64;
/** Bands × rows = signatureLength. 16 bands of 4 rows: pairs at 0.8 similarity become candidates with p ≈ 0.9998. */
const bands = 16;
const rows = signatureLength / bands;
/** Words per shingle. */
const shingleWords = 3;

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A 32-bit mixer (murmur3's finaliser): one base hash and a seed give independent-looking hash functions. */
function mix(value: number, seed: number): number {
  let h = (value ^ seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const seeds = Array.from({ length: signatureLength }, (_, i) => mix(i + 1, 0x9e3779b9));

/** Lower-case words (letters and digits of any script). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The MinHash signature of a text, or undefined when it has fewer than `minShingles` distinct shingles
 * (a few words say nothing about duplication).
 */
export function minhashSignature(text: string, minShingles = 5): Uint32Array | undefined {
  const tokens = words(text);
  const shingles = new Set<number>();
  for (let i = 0; i + shingleWords <= tokens.length; i++) shingles.add(fnv1a(tokens.slice(i, i + shingleWords).join(' ')));
  if (shingles.size < minShingles) return undefined;
  const signature = new Uint32Array(signatureLength).fill(0xffffffff);
  for (const shingle of shingles) {
    for (let k = 0; k < signatureLength; k++) {
      const value = mix(shingle, seeds[k] as number);
      if (value < (signature[k] as number)) signature[k] = value;
    }
  }
  return signature;
}

/** Estimated Jaccard similarity of two signatures: the share of equal positions. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let equal = 0;
  for (let k = 0; k < signatureLength; k++) if (a[k] === b[k]) equal++;
  return equal / signatureLength;
}

export interface DuplicateCluster {
  /** Members by ref; the first is the cluster's representative. */
  readonly members: readonly { readonly ref: string; readonly similarity: number }[];
  /** Lowest similarity of a member to the representative. */
  readonly minSimilarity: number;
}

/** Collects signatures and finds clusters of near-duplicates. */
export class NearDuplicateIndex {
  private readonly refs: string[] = [];
  private readonly signatures: Uint32Array[] = [];
  private readonly buckets: Map<string, number[]>[] = Array.from({ length: bands }, () => new Map());
  private readonly parent: number[] = [];
  /** Verified pairs' similarity, keyed by the larger index: the first member it was joined to. */
  private readonly pairs: { a: number; b: number; similarity: number }[] = [];

  private readonly threshold: number;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  /** Documents with a signature. */
  get size(): number {
    return this.refs.length;
  }

  add(ref: string, signature: Uint32Array): void {
    const index = this.refs.length;
    this.refs.push(ref);
    this.signatures.push(signature);
    this.parent.push(index);
    const checked = new Set<number>();
    for (let band = 0; band < bands; band++) {
      const key = Array.from(signature.subarray(band * rows, band * rows + rows)).join(',');
      const bucket = this.buckets[band] as Map<string, number[]>;
      const members = bucket.get(key);
      if (!members) {
        bucket.set(key, [index]);
        continue;
      }
      for (const other of members) {
        if (checked.has(other)) continue;
        checked.add(other);
        const value = similarity(signature, this.signatures[other] as Uint32Array);
        if (value >= this.threshold) {
          this.pairs.push({ a: other, b: index, similarity: value });
          this.union(other, index);
        }
      }
      members.push(index);
    }
  }

  private find(index: number): number {
    let root = index;
    while (this.parent[root] !== root) root = this.parent[root] as number;
    let node = index;
    while (this.parent[node] !== root) {
      const next = this.parent[node] as number;
      this.parent[node] = root;
      node = next;
    }
    return root;
  }

  private union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }

  /** Clusters of two or more documents, largest first; each member's similarity to the representative. */
  clusters(): DuplicateCluster[] {
    const groups = new Map<number, number[]>();
    const inPair = new Set<number>();
    for (const pair of this.pairs) {
      inPair.add(pair.a);
      inPair.add(pair.b);
    }
    for (const index of [...inPair].sort((x, y) => x - y)) {
      const root = this.find(index);
      const group = groups.get(root) ?? [];
      group.push(index);
      groups.set(root, group);
    }
    const clusters: DuplicateCluster[] = [];
    for (const group of groups.values()) {
      // Members by ref (documents arrive in no fixed order when parsed concurrently); the first represents.
      group.sort((x, y) => (this.refs[x] as string).localeCompare(this.refs[y] as string));
      const first = group[0] as number;
      const representative = this.signatures[first] as Uint32Array;
      const members = group.map((index) => ({
        ref: this.refs[index] as string,
        similarity: index === first ? 1 : round(similarity(representative, this.signatures[index] as Uint32Array)),
      }));
      clusters.push({ members, minSimilarity: Math.min(...members.map((member) => member.similarity)) });
    }
    return clusters.sort(
      (a, b) => b.members.length - a.members.length || (a.members[0]?.ref ?? '').localeCompare(b.members[0]?.ref ?? ''),
    );
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
