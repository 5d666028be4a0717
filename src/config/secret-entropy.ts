/**
 * A conservative estimate of how many bits of guessing a secret resists,
 * after the ways people make "long but weak" secrets: repeats, sequences
 * (`0123456789`, `abcdefghij`), keyboard walks (`qwertyuiop`, `1qaz2wsx`),
 * readable words and years. The secret is split into the cheapest chain of
 * such pieces (the idea of zxcvbn, without its dictionaries): each character
 * not explained by a pattern costs log2 of the alphabet it draws from.
 * Random output (`openssl rand -base64 48`: ~380 bits here) stays far above
 * 128 bits; patterns collapse to a few bits each.
 */

/** Keyboard rows and columns (US layout, with shift) and the number pad, read as walks. */
const KEYBOARD_LINES = [
  '`1234567890-=',
  '~!@#$%^&*()_+',
  'qwertyuiop[]\\',
  'QWERTYUIOP{}|',
  "asdfghjkl;'",
  'ASDFGHJKL:"',
  'zxcvbnm,./',
  'ZXCVBNM<>?',
  '1qaz',
  '2wsx',
  '3edc',
  '4rfv',
  '5tgb',
  '6yhn',
  '7ujm',
  '8ik,',
  '9ol.',
  '0p;/',
  '!QAZ',
  '@WSX',
  '#EDC',
  '$RFV',
  '%TGB',
  '^YHN',
  '&UJM',
  '*IK<',
  '(OL>',
  ')P:?',
  '789456123',
  '741852963',
];

/** Choosing a line, a direction and a start on it. */
const KEYBOARD_START_BITS = Math.log2(KEYBOARD_LINES.length * 2 * 12);

/**
 * A readable word: a lowercase run (optionally Capitalized) or an upper-case
 * run, of at least 4 letters, pronounceable (no more than 3 consonants in a
 * row, and a vowel for every 3 letters) — which random letters rarely are.
 */
const WORD = /^(?:[A-Z]?[a-z]{3,}|[A-Z]{4,})$/;
const CONSONANT_CLUSTER = /[^aeiouy]{4}/i;

function isReadableWord(piece: string): boolean {
  if (!WORD.test(piece) || CONSONANT_CLUSTER.test(piece)) return false;
  const vowels = piece.replace(/[^aeiouy]/gi, '').length;
  return vowels * 4 >= piece.length;
}

/** Short words that glue a phrase together, which the pronounceability test cannot tell from noise. */
const SHORT_WORDS = new Set(
  (
    'a an as at be by do go he if in is it me my no of on or so to up us we ' +
    'all and any api app are but can day dev for get has her him his how its jwt ' +
    'key let new not now old one our out own pay see set she the too two use was ' +
    'way web who why yes you'
  ).split(' '),
);
/**
 * English text carries ~1–1.5 bits per letter; 2 bits per letter (plus one
 * for the capital) is generous to a phrase and still cuts it far below what
 * the same number of random letters would count.
 */
const WORD_BITS_PER_LETTER = 2;

const YEAR = /^(19|20)\d\d$/;

/** Only the first characters are examined (the estimate is a lower bound anyway). */
const MAX_EXAMINED = 256;

function alphabetBits(secret: string): number {
  let size = 0;
  if (/[a-z]/.test(secret)) size += 26;
  if (/[A-Z]/.test(secret)) size += 26;
  if (/[0-9]/.test(secret)) size += 10;
  if (/[^a-zA-Z0-9]/.test(secret)) size += 33;
  return Math.log2(Math.max(size, 2));
}

function isKeyboardWalk(piece: string): boolean {
  const reversed = [...piece].reverse().join('');
  return KEYBOARD_LINES.some((line) => line.includes(piece) || line.includes(reversed));
}

/**
 * The cheapest reading of each piece `text[start, end)` as one pattern, for a
 * fixed `end`, walking `start` backwards. Every pattern here stays a pattern
 * when the piece shrinks, so the walk stops once none can match.
 */
function cheapestPatternsEndingAt(
  text: string,
  end: number,
  charBits: number,
  visit: (start: number, bits: number) => void,
): void {
  const earlier = text.slice(0, end - 1);
  let arithmetic = true;
  let walk = true;
  let repeat = true;
  let letters = /[A-Za-z]/.test(text[end - 1]);
  for (let start = end - 2; start >= Math.max(0, end - 64); start--) {
    const piece = text.slice(start, end);
    const length = end - start;
    const step = text.charCodeAt(start + 1) - text.charCodeAt(start);
    arithmetic &&=
      Math.abs(step) <= 3 &&
      (length === 2 || text.charCodeAt(start + 2) - text.charCodeAt(start + 1) === step);
    walk &&= isKeyboardWalk(piece);
    repeat &&= start > 0 && earlier.includes(piece);
    letters &&= /[A-Za-z]/.test(text[start]);
    if (!arithmetic && !walk && !repeat && !letters && length > 4) return;
    let best = Infinity;
    if (length >= 3 && arithmetic) best = charBits + Math.log2(length) + 2;
    if (length >= 3 && walk) best = Math.min(best, KEYBOARD_START_BITS + Math.log2(length));
    // A copy of something earlier: where it starts and how long it is.
    if (length >= 3 && repeat) best = Math.min(best, Math.log2(start) + Math.log2(length) + 1);
    if (letters && length <= 3 && SHORT_WORDS.has(piece.toLowerCase())) {
      best = Math.min(best, Math.log2(SHORT_WORDS.size) + 1);
    }
    if (letters && length >= 4 && isReadableWord(piece)) {
      best = Math.min(best, length * WORD_BITS_PER_LETTER + 1);
    }
    if (length === 4 && YEAR.test(piece)) best = Math.min(best, Math.log2(200));
    if (best < Infinity) visit(start, best);
  }
}

/** Estimated bits of entropy of a secret, rounded down. */
export function estimateEntropyBits(secret: string): number {
  const text = secret.slice(0, MAX_EXAMINED);
  const charBits = alphabetBits(text);
  // cheapest[i]: the cheapest explanation of the first i characters.
  const cheapest = new Array<number>(text.length + 1).fill(Infinity);
  cheapest[0] = 0;
  for (let end = 1; end <= text.length; end++) {
    cheapest[end] = cheapest[end - 1] + charBits;
    cheapestPatternsEndingAt(text, end, charBits, (start, bits) => {
      cheapest[end] = Math.min(cheapest[end], cheapest[start] + bits);
    });
  }
  return Math.floor(cheapest[text.length]);
}
