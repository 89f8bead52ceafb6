/**
 * A small damage-area lexicon: which repair parts belong to which area of a vehicle, and the words that
 * describe a point of impact in a loss description.
 */
export type DamageArea = 'front' | 'rear' | 'left side' | 'right side';

/** Typical repair parts per damage area (the generator draws from these; the indicator classifies with them). */
export const damageAreaParts: Readonly<Record<DamageArea, readonly string[]>> = {
  front: ['Front bumper cover', 'Hood panel', 'Left headlamp assembly', 'Right headlamp assembly', 'Radiator support', 'Grille'],
  rear: ['Rear bumper cover', 'Trunk lid', 'Left tail lamp', 'Right tail lamp', 'Rear body panel', 'Rear reinforcement bar'],
  'left side': ['Left front door shell', 'Left rear door shell', 'Left quarter panel', 'Left rocker panel', 'Left mirror glass'],
  'right side': [
    'Right front door shell',
    'Right rear door shell',
    'Right quarter panel',
    'Right rocker panel',
    'Right mirror glass',
  ],
};

const partPatterns: readonly [DamageArea, RegExp][] = [
  ['front', /\b(front bumper|hood|headlamp|headlight|radiator|grille|front fender|windshield)\b/i],
  ['rear', /\b(rear bumper|trunk|tail ?lamp|tail ?light|rear body|rear reinforcement|tailgate|liftgate)\b/i],
  ['left side', /\bleft (front door|rear door|quarter|rocker|mirror glass|door)\b/i],
  ['right side', /\bright (front door|rear door|quarter|rocker|mirror glass|door)\b/i],
];

/** The damage area a repair part belongs to, or null for neutral items (paint, alignment, hail dents). */
export function areaOfPart(part: string): DamageArea | null {
  if (/dent repair|refinish|paint|alignment|materials/i.test(part)) return null;
  for (const [area, pattern] of partPatterns) if (pattern.test(part)) return area;
  return null;
}

const impactPatterns: readonly [DamageArea, RegExp][] = [
  ['rear', /\b(rear-ended|rear ended|from behind|struck the rear of the insured|rear of the insured vehicle)\b/i],
  ['front', /\b(head on|front of insured|struck the rear of a|hit a guard rail|front end|front of the insured)\b/i],
  ['left side', /\b(left side|driver side)\b/i],
  ['right side', /\b(right side|passenger side)\b/i],
];

/** The point of impact a loss description names, or null. */
export function areaOfDescription(text: string): DamageArea | null {
  for (const [area, pattern] of impactPatterns) if (pattern.test(text)) return area;
  return null;
}
