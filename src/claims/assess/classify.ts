/**
 * Document-type classification (the first step): media type, file name and the labels and phrases on the
 * document's first page, scored per type; the reason names what decided it.
 */
import type { ClaimDocumentInput, ClaimDocumentType, ClassifiedDocument } from '../model.ts';

const cues: Readonly<Record<Exclude<ClaimDocumentType, 'photo' | 'other'>, readonly [RegExp, number][]>> = {
  fnol: [
    [/first notice of loss|\bfnol\b|notice of loss|loss notice/i, 3],
    [/date of (loss|accident)/i, 1],
    [/description of (loss|accident)/i, 1],
    [/point of impact/i, 1],
  ],
  police_report: [
    [/collision report|accident report|police report|incident report|crash report/i, 3],
    [/police department|sheriff|highway patrol/i, 1],
    [/date of incident|crash date/i, 1],
    [/reporting officer|badge/i, 1],
    [/driver 2|driver 1|unit 1 driver/i, 1],
  ],
  repair_estimate: [
    [/repair estimate|estimate of repair|repair order|estimate of record/i, 3],
    [/labou?r hours|\bhrs\b/i, 1],
    [/estimate total|total estimate|estimate number|\bRO number/i, 1],
    [/collision center|body shop|auto body/i, 1],
  ],
  medical_bill: [
    [/medical services|medical bill|statement of (medical )?services|itemi[sz]ed bill/i, 3],
    [/patient/i, 1],
    [/total charges|date of service/i, 1],
    [/diagnosis|hospital|clinic/i, 1],
  ],
  policy_declarations: [
    [/declarations/i, 3],
    [/named insured/i, 1],
    [/effective date|expiry date|policy period/i, 1],
    [/coverage\s+limit\s+deductible/i, 1],
  ],
  correspondence: [
    [/^(from|to|subject):/im, 2],
    [/dear |kind regards|sincerely/i, 1],
    [/notice of cancellation/i, 1],
  ],
};

const nameHints: readonly [RegExp, ClaimDocumentType][] = [
  [/fnol|notice[-_ ]of[-_ ]loss/i, 'fnol'],
  [/police|collision[-_ ]report|accident[-_ ]report/i, 'police_report'],
  [/estimate|repair/i, 'repair_estimate'],
  [/medical|bill|invoice/i, 'medical_bill'],
  [/declaration|dec[-_ ]page/i, 'policy_declarations'],
  [/email|letter|notice|correspondence/i, 'correspondence'],
  [/photo|img|image|dsc/i, 'photo'],
];

/** Classifies one document. */
export function classifyDocument(document: ClaimDocumentInput): ClassifiedDocument {
  const text = document.pages
    .slice(0, 2)
    .map((page) => page.text)
    .join('\n')
    .slice(0, 4000);
  const hint = nameHints.find(([pattern]) => pattern.test(document.fileName))?.[1];
  if (document.mediaType.startsWith('image/')) {
    const exif = document.exif && Object.keys(document.exif).length > 0;
    return {
      documentId: document.documentId,
      type: 'photo',
      confidence: exif ? 0.98 : 0.9,
      reason: `image (${document.mediaType})${exif ? ' with EXIF' : ''}`,
    };
  }
  const scores: [ClaimDocumentType, number, string[]][] = [];
  for (const [type, patterns] of Object.entries(cues) as [ClaimDocumentType, readonly [RegExp, number][]][]) {
    let score = 0;
    const matched: string[] = [];
    for (const [pattern, weight] of patterns) {
      const found = pattern.exec(text);
      if (found) {
        score += weight;
        matched.push(`"${found[0].trim()}"`);
      }
    }
    if (type === 'correspondence' && /message\/rfc822|vnd\.ms-outlook/.test(document.mediaType)) {
      score += 3;
      matched.push('e-mail');
    }
    if (hint === type) {
      score += 0.5;
      matched.push(`file name ${document.fileName}`);
    }
    scores.push([type, score, matched]);
  }
  scores.sort((a, b) => b[1] - a[1]);
  const [best, second] = scores;
  if (!best || best[1] < 1.5) {
    if (hint && !/\S/.test(text)) {
      return {
        documentId: document.documentId,
        type: hint,
        confidence: 0.3,
        reason: `no readable text; file name ${document.fileName}`,
      };
    }
    return { documentId: document.documentId, type: 'other', confidence: 0.5, reason: 'no document-type labels found' };
  }
  // E-mails that carry a declarations page or an estimate in their body stay correspondence only when nothing stronger is there.
  const margin = best[1] - (second?.[1] ?? 0);
  const confidence = Math.min(0.99, 0.55 + 0.1 * best[1] + 0.05 * margin);
  return {
    documentId: document.documentId,
    type: best[0],
    confidence: Math.round(confidence * 100) / 100,
    reason: `matched ${best[2].join(', ')}`,
  };
}
